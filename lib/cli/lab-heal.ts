// meridian lab heal: restore every link that lab partition cut.
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { proxySocket } from '../lab/layout'
import { readState } from '../lab/process-table'
import { ProxyControl } from '../lab/proxy-control'
import { labDir } from './lab-status'
import { print } from './run'

export async function labHeal(opts: { dir?: string }): Promise<void> {
  const dir = labDir(opts.dir)
  if (!readState(dir)) throw new ConfigError('dir', `no lab in ${dir}: run meridian lab up first`)
  await new ProxyControl(proxySocket(dir)).heal()
}

export function labHealCommand(): Command {
  return new Command('heal')
    .description('restore every link lab partition cut')
    .option('--dir <dir>', 'the lab (default ~/.meridian/lab)')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string; json?: boolean }) => {
      await labHeal(opts)
      print(opts.json, { healed: true }, 'meridian: every link is up again')
    })
}
