// meridian bench [dir]: the same workloads, in one run, on a fresh Meridian mount, on the local
// disk under it, on a bindfs mount of that disk, and (metadata only, when --meta is etcd) as
// raw etcd transactions; a table with Meridian's ratios, or JSON. lib/bench does the work.
import { stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, resolve } from 'node:path'
import { Command } from 'commander'
import { bench, type BenchOptions } from '../bench/run'
import { renderPlot } from '../bench/plot'
import { geoBench } from '../lab/geo-bench'
import { renderGeo } from '../lab/geo-table'
import { parseSites } from '../lab/sites'
import { wanTimings } from './lab-up'
import { renderTable } from '../bench/table'
import { progressMode } from '../progress'
import { ConfigError } from '../errors'
import { log } from '../log'
import { parseSize } from './format'
import { print } from './run'

export interface BenchCliOptions {
  meta?: string
  bigSize: string
  smallCount: string
  metaCount: string
  procs: string
  randomSize: string
  randomOps: string
  json?: boolean
  /** write the ratios as an SVG chart to this file */
  plot?: string
  /** the geo benchmark on a lab it starts (lib/lab/geo-bench.ts) instead */
  lab?: boolean
  sites: string
  rtt: string
  jitter: string
  labCount: string
}

/** count reads a whole number between min and max; field names the option in errors */
function count(field: string, text: string, min: number, max: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(field, `'${text}' is not a whole number from ${min} to ${max}`)
  return n
}

/** size reads a size of at least min bytes, a multiple of 4 KiB */
function size(field: string, text: string, min: number): number {
  const n = parseSize(field, text)
  if (n < min || n % 4096 !== 0) throw new ConfigError(field, `'${text}' must be a multiple of 4K, at least ${min / 1024}K`)
  return n
}

/** plotFile checks that the chart can be written where asked (its directory exists), before the run */
async function plotFile(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined
  const at = resolve(file)
  const st = await stat(dirname(at)).catch(() => undefined)
  if (!st?.isDirectory()) throw new ConfigError('plot', `${dirname(at)} is not a directory`)
  return at
}

/** options checks every option before anything is created */
export async function options(dir: string | undefined, o: BenchCliOptions): Promise<BenchOptions> {
  const at = resolve(dir ?? tmpdir())
  const st = await stat(at).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError('dir', `${at}: ${err.code ?? err.message}`)
  })
  if (!st.isDirectory()) throw new ConfigError('dir', `${at} is not a directory`)
  return {
    dir: at,
    meta: o.meta,
    bigSize: size('big-size', o.bigSize, 1024 * 1024),
    smallCount: count('small-count', o.smallCount, 1, 1_000_000),
    metaCount: count('meta-count', o.metaCount, 1, 1_000_000),
    procs: count('procs', o.procs, 1, 64),
    randomSize: size('random-size', o.randomSize, 4096),
    randomOps: count('random-ops', o.randomOps, 1, 10_000_000),
    progress: progressMode(o.json),
  }
}

/** the options only the geo benchmark (--lab) reads, and those only the single-site one reads that --lab would ignore */
const LAB_ONLY = ['sites', 'rtt', 'jitter', 'labCount']
const NOT_WITH_LAB = ['meta', 'plot']

/** refuseIgnored fails on an option typed for the benchmark not chosen, which would be ignored silently */
function refuseIgnored(cmd: Command, lab: boolean): void {
  for (const key of lab ? NOT_WITH_LAB : LAB_ONLY) {
    if (cmd.getOptionValueSource(key) !== 'cli') continue
    const field = key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
    throw new ConfigError(field, lab ? 'does not apply to bench --lab' : 'applies only with --lab')
  }
}

/** geoCommand runs the geo benchmark (--lab) and prints its tables or JSON */
async function geoCommand(dir: string | undefined, opts: BenchCliOptions): Promise<void> {
  const at = dir === undefined ? undefined : (await options(dir, opts)).dir
  const report = await geoBench({
    sites: parseSites(opts.sites), ...wanTimings(opts.rtt, opts.jitter),
    count: count('lab-count', opts.labCount, 1, 100_000), dir: at,
    progress: line => process.stderr.write(`bench: ${line}\n`),
  })
  print(opts.json, { ...report }, renderGeo(report))
}

/** benchCommand defines `meridian bench` for bin/meridian.ts */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure a fresh Meridian mount against the local disk and bindfs (and raw etcd with --meta etcd://), side by side')
    .argument('[dir]', 'where to work: the local disk measured, which also holds the pool and the mountpoints (default: the temp dir)')
    .option('--meta <url>', "the mount's metadata store: etcd://host:port[,...] also measures raw etcd (default: a fresh embedded store)")
    .option('--big-size <size>', 'the sequential big file', '1G')
    .option('--small-count <n>', 'files in each small-file set (128 KiB and 4 KiB)', '1000')
    .option('--meta-count <n>', 'names each process makes in the metadata workload', '1000')
    .option('--procs <n>', 'concurrent processes in the metadata workload', '2')
    .option('--random-size <size>', 'the file of the random 4 KiB I/O', '256M')
    .option('--random-ops <n>', 'random reads, and random writes', '4096')
    .option('--lab', 'the geo benchmark instead: every kind of operation from every site of a lab it starts, beside a single site (docs/geo.md)')
    .option('--sites <list>', 'with --lab: the sites', 'eu,us,asia')
    .option('--rtt <ms>', 'with --lab: the round trip between sites', '100')
    .option('--jitter <ms>', 'with --lab: the jitter of each round trip', '5')
    .option('--lab-count <n>', 'with --lab: operations per kind and site', '20')
    .option('--json', 'print JSON')
    .option('--plot <file>', 'also write the ratios as an SVG chart to file')
    .action(async (dir: string | undefined, opts: BenchCliOptions, cmd: Command) => {
      refuseIgnored(cmd, opts.lab === true)
      if (opts.lab) return geoCommand(dir, opts)
      const o = await options(dir, opts)
      const plot = await plotFile(opts.plot)
      // the mount's info lines would tear the progress bar; MERIDIAN_LOG_LEVEL still wins
      if (process.env.MERIDIAN_LOG_LEVEL === undefined) log.level = 'warn'
      const report = await bench(o)
      if (plot) await writeFile(plot, renderPlot(report))
      print(opts.json, { ...report }, renderTable(report))
    })
}
