// meridian replicate: run the replicator (lib/replicator) over one filesystem's pools. With
// --once one pass with a progress bar and a summary; without, a pass every --interval
// seconds until Ctrl-C (each pass reads the pool map and policies afresh).
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { metricsRoute } from '../metrics'
import { replicationPassed } from '../metrics/counters'
import { progress, progressMode, type ProgressMode } from '../progress'
import { Replicator, type PassReport } from '../replicator/replicator'
import { listen } from '../web'
import { parseSize } from './format'
import { openDrivers, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export interface ReplicateOptions extends PlacementCliOptions {
  once?: boolean
  /** bytes per second, e.g. 50M */
  bandwidth?: string
  /** seconds between passes when running as a service */
  interval?: string
  /** how progress shows on stderr (default: not at all) */
  progress?: ProgressMode
  /** HOST:PORT to serve /metrics on while running as a service */
  metrics?: string
}

/** replicateOnce runs one pass and closes everything */
export async function replicateOnce(opts: ReplicateOptions): Promise<PassReport & { unreachable: Record<string, string> }> {
  const bandwidth = opts.bandwidth === undefined ? 0 : parseSize('bandwidth', opts.bandwidth)
  return withPlacement(opts, async (placement, store) => {
    const drivers = await openDrivers((await placement.load()).pools)
    const bar = progress('replicate', 'blobs', opts.progress ?? 'off')
    try {
      const replicator = new Replicator(store, placement.fsName, drivers.open, {
        bandwidth,
        onProgress: (done, total) => { bar.total(total); bar.update(done) },
      })
      const report = await replicator.pass()
      return { ...report, unreachable: Object.fromEntries(drivers.failed) }
    } finally {
      bar.stop()
      await drivers.close()
    }
  })
}

export function summary(r: PassReport & { unreachable: Record<string, string> }): string {
  const mib = (n: number) => (n / 1024 ** 2).toFixed(1)
  const lines = [
    `replicated at epoch ${r.epoch} in ${(r.ms / 1000).toFixed(1)} s: ${r.referenced} blobs referenced, ${r.queued} differed from their targets; ` +
    `${r.copies} copies made (${mib(r.copiedBytes)} MiB, verified), ${r.deletes} surplus copies deleted; backlog ${r.backlog.blobs} blobs, ${mib(r.backlog.bytes)} MiB`,
  ]
  for (const [pool, n] of Object.entries(r.badCopies)) lines.push(`  pool ${pool}: ${n} bad copies found (missing or corrupt)`)
  for (const [pool, why] of Object.entries(r.unreachable)) lines.push(`  pool ${pool}: unreachable (${why})`)
  return lines.join('\n')
}

async function service(opts: ReplicateOptions): Promise<void> {
  const interval = opts.interval === undefined ? 30 : Number(opts.interval)
  if (!(interval > 0)) throw new ConfigError('interval', `'${opts.interval}' must be a number of seconds above 0`)
  const metrics = opts.metrics === undefined ? undefined : await listen('metrics', opts.metrics, { '/metrics': metricsRoute() })
  if (metrics) process.stdout.write(`meridian: metrics at http://${metrics.address}/metrics\n`)
  let stop = false
  const wake = new AbortController()
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { stop = true; wake.abort() })
  while (!stop) {
    const r = await replicateOnce({ ...opts, progress: 'off' })
    replicationPassed(r)
    print(opts.json, { ...r }, summary(r))
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, interval * 1000)
      wake.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
  }
  await metrics?.close()
}

export function replicateCommand(): Command {
  return withCommonOptions(new Command('replicate'))
    .description('make every blob\'s copies match its placement policy: copy (verified), then delete surplus copies')
    .option('--once', 'one pass with a progress bar, then exit (exit 1 if a backlog remains)')
    .option('--bandwidth <bytes/s>', 'copy at most this much per second, e.g. 50M (default unlimited)')
    .option('--interval <s>', 'seconds between passes when running as a service (default 30)')
    .option('--metrics <addr>', 'as a service: serve Prometheus metrics (/metrics) on HOST:PORT, :PORT or PORT')
    .action(async (opts: ReplicateOptions) => {
      if (!opts.once) return service(opts)
      const r = await replicateOnce({ ...opts, progress: progressMode(opts.json) })
      print(opts.json, { ...r }, summary(r))
      if (r.backlog.blobs > 0) process.exitCode = 1
    })
}
