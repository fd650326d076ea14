// meridian replicate: run the replicator (lib/replicator) over one filesystem's pools. With
// --once one pass with a progress bar and a summary; without, a pass every --interval
// seconds until Ctrl-C (each pass reads the pool map and policies afresh).
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { log } from '../log'
import type { MetaStore } from '../meta/store'
import { metricsRoute } from '../metrics'
import { replicationPassed } from '../metrics/counters'
import { PlacementKeys } from '../placement/keys'
import { PlacementStore } from '../placement/placement-config'
import { Replicator, type PassReport } from '../replicator/replicator'
import { RANGES } from '../replicator/work-leases'
import { progress, progressMode, type ProgressMode } from '../progress'
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
  /** seconds a pass's work leases live without a keep-alive */
  leaseTtl?: string
}

export type PassResult = PassReport & { unreachable: Record<string, string> }

/** replicatePass runs one pass over fsName in store, through its pools opened for the pass */
export async function replicatePass(store: MetaStore, fsName: string, opts: { bandwidth: number; leaseTtlSeconds?: number; progress?: ProgressMode; log?(msg: string, ctx: object): void }): Promise<PassResult> {
  const drivers = await openDrivers((await new PlacementStore(store, fsName).load()).pools)
  const bar = progress('replicate', 'blobs', opts.progress ?? 'off')
  try {
    const replicator = new Replicator(store, fsName, drivers.open, {
      bandwidth: opts.bandwidth,
      leaseTtlSeconds: opts.leaseTtlSeconds,
      log: opts.log,
      onProgress: (done, total) => { bar.total(total); bar.update(done) },
    })
    const report = await replicator.pass()
    const result = { ...report, unreachable: Object.fromEntries(drivers.failed) }
    replicationPassed(result)
    return result
  } finally {
    bar.stop()
    await drivers.close()
  }
}

const bandwidthOf = (opts: ReplicateOptions) => (opts.bandwidth === undefined ? 0 : parseSize('bandwidth', opts.bandwidth))

/** leaseTtlOf reads --lease-ttl: whole seconds from 1 (a store lease's unit), undefined for the replicator's default */
function leaseTtlOf(opts: ReplicateOptions): number | undefined {
  if (opts.leaseTtl === undefined) return undefined
  const ttl = Number(opts.leaseTtl)
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 3600) throw new ConfigError('lease-ttl', `'${opts.leaseTtl}' must be a whole number of seconds from 1 to 3600`)
  return ttl
}

/** replicateOnce runs one pass and closes everything */
export async function replicateOnce(opts: ReplicateOptions): Promise<PassResult> {
  const bandwidth = bandwidthOf(opts)
  const leaseTtlSeconds = leaseTtlOf(opts)
  return withPlacement(opts, (placement, store) => replicatePass(store, placement.fsName, { bandwidth, leaseTtlSeconds, progress: opts.progress }))
}

/** a replicator running passes in the background until stopped */
export interface ReplicatorService {
  stop(): Promise<void>
}

/** how soon after a watched change a pass starts (changes arriving meanwhile share it) */
const WAKE_MS = 1_000

/**
 * startReplicator runs a pass every intervalS seconds (each reads the pool map and policies
 * afresh) until stopped, and sooner when it sees work arrive: it watches the placement keys
 * and wakes a second after a blob is queued (a write with fewer synchronous copies than
 * replicas, a read that found a bad copy) or the pools or policies change; a pass under way
 * when that happens is followed by another. stop waits for the pass under way. A pass that
 * fails is reported and the next one runs on time. `mount --replicate` runs one beside the
 * mount, on its store.
 */
export function startReplicator(store: MetaStore, fsName: string, opts: { intervalS: number; bandwidth: number; leaseTtlSeconds?: number; onPass(r: PassResult): void; onError(err: unknown): void }): ReplicatorService {
  const keys = new PlacementKeys(fsName)
  let stopped = false
  let passing = false
  let again = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  const schedule = (ms: number) => {
    clearTimeout(timer)
    if (!stopped) timer = setTimeout(next, ms)
  }
  const next = () => {
    passing = true
    again = false
    running = replicatePass(store, fsName, { bandwidth: opts.bandwidth, leaseTtlSeconds: opts.leaseTtlSeconds, log: (msg, ctx) => log.warn(ctx, msg) })
      .then(opts.onPass, opts.onError)
      .then(() => {
        passing = false
        schedule(again ? WAKE_MS : opts.intervalS * 1000)
      })
  }
  const wake = () => {
    if (passing) again = true
    else schedule(WAKE_MS)
  }
  const watching = store.watch(keys.prefix, {
    onEvents: events => {
      if (events.some(e => e.type === 'put' && (e.kv.key.toString().startsWith(keys.queue()) || e.kv.key.toString() === keys.epoch()))) wake()
    },
    onError: err => log.warn({ err }, 'replicator: watching the placement keys failed; passes run every interval only'),
  })
  watching.catch(err => log.warn({ err }, 'replicator: cannot watch the placement keys; passes run every interval only'))
  next()
  return {
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await running
      await watching.then(w => w.close(), () => undefined)
    },
  }
}

/** intervalOf reads seconds between passes: above 0, default 30 */
export function intervalOf(text: string | undefined, field = 'interval'): number {
  const interval = text === undefined ? 30 : Number(text)
  if (!(interval > 0)) throw new ConfigError(field, `'${text}' must be a number of seconds above 0`)
  return interval
}

export function summary(r: PassResult): string {
  const mib = (n: number) => (n / 1024 ** 2).toFixed(1)
  const lines = [
    `replicated at epoch ${r.epoch} in ${(r.ms / 1000).toFixed(1)} s: ${r.referenced} blobs referenced, ${r.queued} differed from their targets; ` +
    `${r.copies} copies made (${mib(r.copiedBytes)} MiB, verified), ${r.deletes} surplus copies deleted; backlog ${r.backlog.blobs} blobs, ${mib(r.backlog.bytes)} MiB`,
  ]
  if (r.ranges < RANGES) lines.push(`  ${r.ranges} of ${RANGES} work ranges handled; another replicator held the others`)
  for (const [pool, n] of Object.entries(r.badCopies)) lines.push(`  pool ${pool}: ${n} bad copies found (missing or corrupt)`)
  for (const [pool, why] of Object.entries(r.unreachable)) lines.push(`  pool ${pool}: unreachable (${why})`)
  return lines.join('\n')
}

async function service(opts: ReplicateOptions): Promise<void> {
  const intervalS = intervalOf(opts.interval)
  const bandwidth = bandwidthOf(opts)
  const leaseTtlSeconds = leaseTtlOf(opts)
  await withPlacement(opts, async (placement, store) => {
    // a filesystem that is not there fails here, before anything listens, not at every pass
    await placement.load()
    const metrics = opts.metrics === undefined ? undefined : await listen('metrics', opts.metrics, { '/metrics': metricsRoute() })
    if (metrics) process.stdout.write(`meridian: metrics at http://${metrics.address}/metrics\n`)
    const stopped = new Promise(resolve => { for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, resolve) })
    const replicator = startReplicator(store, placement.fsName, {
      intervalS,
      bandwidth,
      leaseTtlSeconds,
      onPass: r => print(opts.json, { ...r }, summary(r)),
      onError: err => log.error({ err }, 'replication pass failed'),
    })
    await stopped
    await replicator.stop()
    await metrics?.close()
  })
}

export function replicateCommand(): Command {
  return withCommonOptions(new Command('replicate'))
    .description('make every blob\'s copies match its placement policy: copy (verified), then delete surplus copies')
    .option('--once', 'one pass with a progress bar, then exit (exit 1 if a backlog remains)')
    .option('--bandwidth <bytes/s>', 'copy at most this much per second, e.g. 50M (default unlimited)')
    .option('--interval <s>', 'seconds between passes when running as a service (default 30)')
    .option('--lease-ttl <s>', 'seconds a pass\'s work ranges stay taken without a keep-alive: how soon another replicator takes over those of one that died (default 30)')
    .option('--metrics <addr>', 'as a service: serve Prometheus metrics (/metrics) on HOST:PORT, :PORT or PORT')
    .action(async (opts: ReplicateOptions) => {
      // --interval and --metrics belong to the service: with --once they would silently do nothing
      if (opts.once && opts.interval !== undefined) throw new ConfigError('interval', 'sets the time between passes of the service; --once makes one pass: give one or the other')
      if (opts.once && opts.metrics !== undefined) throw new ConfigError('metrics', 'is served while the service runs; --once makes one pass: give one or the other')
      if (!opts.once) return service(opts)
      const r = await replicateOnce({ ...opts, progress: progressMode(opts.json) })
      print(opts.json, { ...r }, summary(r))
      if (r.backlog.blobs > 0) process.exitCode = 1
    })
}

/** replicateEvery reads `mount --replicate [--replicate-interval S]`: the seconds between passes, undefined without --replicate */
export function replicateEvery(opts: { replicate?: boolean; replicateInterval?: string }): number | undefined {
  const interval = intervalOf(opts.replicateInterval, 'replicate-interval')
  return opts.replicate ? interval : undefined
}

/** mountReplicator is `mount --replicate`: passes on the mount's store, their summaries logged */
export function mountReplicator(store: MetaStore, fsName: string, intervalS: number): ReplicatorService {
  return startReplicator(store, fsName, {
    intervalS,
    bandwidth: 0,
    onPass: r => log.info({ ...r }, 'replication pass'),
    onError: err => log.error({ err }, 'replication pass failed'),
  })
}
