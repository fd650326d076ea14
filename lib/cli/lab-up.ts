// meridian lab up: start a whole multi-site deployment on this machine (lib/lab, docs/geo.md).
import { Command } from 'commander'
import { join } from 'node:path'
import { ConfigError } from '../errors'
import { up } from '../lab/assembly'
import { mountDir } from '../lab/layout'
import { parseSites } from '../lab/sites'
import { labDir } from './lab-status'
import { print } from './run'

export interface LabUpOptions {
  sites: string
  rtt: string
  jitter?: string
  dir?: string
  json?: boolean
}

/** milliseconds reads a whole number of ms between 0 and 10000, naming field when it is not */
function milliseconds(field: string, text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n > 10_000) throw new ConfigError(field, `'${text}' must be a whole number of milliseconds from 0 to 10000`)
  return n
}

/** wanTimings reads --rtt and --jitter: the jitter may not exceed the round trip */
export function wanTimings(rtt: string, jitter: string | undefined): { rttMs: number; jitterMs: number } {
  const rttMs = milliseconds('rtt', rtt)
  const jitterMs = milliseconds('jitter', jitter ?? '0')
  if (jitterMs > rttMs) throw new ConfigError('jitter', `${jitterMs} ms is more than the round trip (${rttMs} ms)`)
  return { rttMs, jitterMs }
}

export async function labUp(opts: LabUpOptions): Promise<{ dir: string; mounts: Record<string, string> }> {
  const sites = parseSites(opts.sites)
  const { rttMs, jitterMs } = wanTimings(opts.rtt, opts.jitter)
  const state = await up({ sites, rttMs, jitterMs, dir: labDir(opts.dir) })
  return { dir: state.dir, mounts: Object.fromEntries(sites.map(s => [s, mountDir(state.dir, s)])) }
}

export function labUpCommand(): Command {
  return new Command('up')
    .description('start a lab: per site etcd members, a group, a pool, a partition /<site> and a mount, WAN links between sites')
    .requiredOption('--sites <list>', 'comma-separated site names, e.g. eu,us,asia')
    .option('--rtt <ms>', 'round-trip time between sites', '100')
    .option('--jitter <ms>', 'each one-way delay varies by up to half this', '0')
    .option('--dir <dir>', 'where the lab keeps everything (default ~/.meridian/lab)')
    .option('--json', 'print JSON')
    .action(async (opts: LabUpOptions) => {
      const r = await labUp(opts)
      print(opts.json, r, `meridian: lab up in ${r.dir}; mounts: ${Object.entries(r.mounts).map(([s, m]) => `${s} ${m}`).join(', ')}` +
        `\n  see: meridian lab status --dir ${r.dir}; state ${join(r.dir, 'lab.json')}`)
    })
}
