// The replicator: makes every blob's copies match its targets (lib/placement) and reports
// what is left. One pass:
//   1. read the placement config, and which blobs the namespace references from which paths;
//   2. reconcile: for each referenced blob, the targets of its paths' policies against where
//      copies are (a pool's bloom filter answers "surely absent"; otherwise the pool is asked),
//      and queue every blob that differs in the durable queue, before touching any pool;
//   3. drain the queue: copy missing copies (verified at the source and at the destination),
//      then, only once every target holds a verified copy, delete the surplus copies (pools
//      no longer targeted, draining pools); an entry leaves the queue only when its blob is
//      done, so a crash at any point resumes from the queue;
//   4. add what it copied to the pools' bloom filters (a new version of each changed one).
// Copies are throttled to the bandwidth limit. Several replicators may run at once: a pass
// first claims the free work ranges (work-leases.ts) and handles only the blobs in them.
import type { PoolDriver } from '../../drivers/driver'
import type { BloomFilter } from 'bloom-filters'
import { EIO } from '../errors'
import type { MetaStore } from '../meta/store'
import { PlacementStore, type PlacementConfig } from '../placement/placement-config'
import { referencedBlobs, type BlobRef } from './blob-refs'
import { readGood, verified, type Source } from './copier'
import { holders, targetsOf } from './copies'
import { PoolFilters } from './pool-filter'
import { ReplicationQueue, type Queued } from '../placement/replication-queue'
import { Throttle } from './throttle'
import { WorkLeases } from './work-leases'

export interface ReplicatorOptions {
  /** bytes per second copied at most; 0 or absent: unlimited */
  bandwidth?: number
  /** a queued blob that no file references is dropped after this long (it may be a write whose metadata has not committed yet) */
  graceMs?: number
  /** read every copy and check its hash first; a corrupt copy is deleted (and counted in badCopies), so that a good one replaces it */
  verify?: boolean
  /** seconds a pass's work leases live without a keep-alive (default 30): how long a dead replicator's ranges stay taken */
  leaseTtlSeconds?: number
  /** told after each queued blob is handled */
  onProgress?(done: number, total: number): void
  log?(msg: string, ctx: object): void
}

export interface PassReport {
  epoch: number
  /** the work ranges (of RANGES) this pass held; the others were another replicator's */
  ranges: number
  referenced: number
  /** blobs reconcile found differing from their targets */
  queued: number
  copies: number
  copiedBytes: number
  deletes: number
  /** blobs left in the queue (a pool unreachable, no good copy, or not referenced yet) */
  backlog: { blobs: number; bytes: number }
  /** pool -> copies found missing or corrupt there */
  badCopies: Record<string, number>
  ms: number
}

const DEFAULT_GRACE_MS = 10 * 60_000
const DEFAULT_LEASE_TTL_S = 30
/** how many queued blobs are handled at once */
const PARALLEL_BLOBS = 4

export class Replicator {
  private readonly placement: PlacementStore
  private readonly queue: ReplicationQueue
  private readonly filters: PoolFilters

  /** drivers: the open pools by name (a pool of the map missing here is treated as unreachable) */
  constructor(private readonly store: MetaStore, private readonly fsName: string, private readonly drivers: Map<string, PoolDriver>, private readonly opts: ReplicatorOptions = {}) {
    this.placement = new PlacementStore(store, fsName)
    this.queue = new ReplicationQueue(store, fsName)
    this.filters = new PoolFilters(store, fsName)
  }

  async pass(): Promise<PassReport> {
    const leases = await WorkLeases.claim(this.store, this.fsName, this.opts.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_S, this.opts.log)
    try {
      return await this.passOver(leases)
    } finally {
      await leases.release().catch(err => this.opts.log?.('releasing work leases failed (they expire)', { err }))
    }
  }

  private async passOver(leases: WorkLeases): Promise<PassReport> {
    const started = Date.now()
    const config = await this.placement.load()
    const refs = await referencedBlobs(this.store, this.fsName, this.drivers)
    const blooms = new Map<string, BloomFilter | null>()
    for (const [name, driver] of this.drivers) blooms.set(name, await this.filters.load(name, driver))
    const report: PassReport = { epoch: config.epoch, ranges: leases.held.size, referenced: refs.size, queued: 0, copies: 0, copiedBytes: 0, deletes: 0, backlog: { blobs: 0, bytes: 0 }, badCopies: {}, ms: 0 }

    const differing: Array<{ id: string; bytes: number }> = []
    for (const [id, ref] of refs) {
      if (!leases.covers(id)) continue
      const want = targetsOf(id, ref, config)
      let have = await holders(id, config, this.drivers, blooms)
      if (this.opts.verify) have = await this.dropCorrupt(id, have, report)
      if (want.some(p => !have.includes(p)) || have.some(p => !want.includes(p))) differing.push({ id, bytes: ref.bytes })
    }
    // only what is not queued yet is written: a watching replicator wakes on new entries
    const queued = new Set((await this.queue.list()).map(e => e.id))
    await this.queue.add(differing.filter(d => !queued.has(d.id)))
    report.queued = differing.length

    const throttle = new Throttle(this.opts.bandwidth ?? 0)
    const gained = new Map<string, string[]>()
    const entries = (await this.queue.list()).filter(e => leases.covers(e.id))
    let next = 0
    let done = 0
    const finishes: Array<(synced: Set<string>) => Promise<void>> = []
    // copies first, a few blobs at once (each waits on a read and a write in turn); then one
    // sync per pool that received any, instead of an fsync per blob; then each blob is finished
    await Promise.all(Array.from({ length: PARALLEL_BLOBS }, async () => {
      for (let i = next++; i < entries.length; i = next++) {
        const finish = await this.copy(entries[i], refs.get(entries[i].id), config, blooms, throttle, report, gained)
        if (finish) finishes.push(finish)
      }
    }))
    const synced = new Set<string>()
    for (const pool of gained.keys()) {
      await this.drivers.get(pool)!.sync().then(() => synced.add(pool), err => this.opts.log?.('sync failed', { pool, err }))
    }
    for (const finish of finishes) {
      await finish(synced)
      this.opts.onProgress?.(++done, finishes.length)
    }
    for (const [pool, ids] of gained) {
      // a filter that lost this race is rebuilt by the scan that won it
      await this.filters.add(pool, this.drivers.get(pool)!, ids).catch(err => this.opts.log?.('filter update failed', { pool, err }))
    }
    report.backlog = await this.queue.backlog()
    report.ms = Date.now() - started
    return report
  }

  /** dropCorrupt deletes the copies among have (those in check) whose bytes do not match id, and returns the others */
  private async dropCorrupt(id: string, have: string[], report: PassReport, check = have): Promise<string[]> {
    const good: string[] = []
    for (const name of have) {
      if (!check.includes(name)) {
        good.push(name)
        continue
      }
      const driver = this.drivers.get(name)!
      if (await verified(id, driver)) good.push(name)
      else {
        report.badCopies[name] = (report.badCopies[name] ?? 0) + 1
        await driver.delete(id)
      }
    }
    return good
  }

  /** backlog is what the queue holds now */
  backlog(): Promise<{ blobs: number; bytes: number }> {
    return this.queue.backlog()
  }

  /**
   * copy puts the copies entry's blob lacks on its targets (not yet synced) and returns what
   * finishes it once they are synced: check every target's copy, then delete the surplus,
   * then remove the entry (synced: the pools whose sync succeeded). Nothing to finish when the blob cannot be handled in this pass.
   */
  private async copy(entry: Queued, ref: BlobRef | undefined, config: PlacementConfig, blooms: Map<string, BloomFilter | null>,
    throttle: Throttle, report: PassReport, gained: Map<string, string[]>): Promise<((synced: Set<string>) => Promise<void>) | undefined> {
    const log = this.opts.log ?? (() => {})
    if (!ref) {
      if (Date.now() - entry.queuedMs > (this.opts.graceMs ?? DEFAULT_GRACE_MS)) await this.queue.done(entry)
      return undefined
    }
    const want = targetsOf(entry.id, ref, config)
    if (want.some(p => !this.drivers.has(p))) {
      log('target pool unreachable', { id: entry.id, want })
      return undefined
    }
    let have = await holders(entry.id, config, this.drivers, blooms)
    // a copy a read found bad is checked before it counts (a corrupt one is deleted, then replaced)
    if (entry.suspect) have = await this.dropCorrupt(entry.id, have, report, entry.suspect)
    const source = (names: string[]): Source[] => names.map(n => ({ name: n, driver: this.drivers.get(n)! }))
    const missing = want.filter(p => !have.includes(p))
    try {
      if (missing.length > 0) {
        const { data, bad } = await readGood(entry.id, source(have))
        for (const b of bad) report.badCopies[b] = (report.badCopies[b] ?? 0) + 1
        if (!data) throw EIO(`blob ${entry.id}: no good copy in ${have.join(', ') || 'any pool'}`)
        for (const dest of source(missing)) {
          await throttle.take(data.length)
          await dest.driver.put(entry.id, data)
          report.copies++
          report.copiedBytes += data.length
          gained.set(dest.name, [...(gained.get(dest.name) ?? []), entry.id])
        }
      }
    } catch (err) {
      log('replication failed, left queued', { id: entry.id, err: (err as Error).message })
      return undefined
    }
    const surplus = have.filter(p => !want.includes(p))
    return async synced => {
      // a copy not known to be durable counts for nothing: the entry stays for the next pass
      if (missing.some(p => !synced.has(p))) return
      try {
        // new copies are checked at their destination; old ones too before any other copy goes
        for (const t of source(surplus.length > 0 ? want : missing)) {
          if (!(await verified(entry.id, t.driver))) throw EIO(`blob ${entry.id}: the copy in target ${t.name} does not verify`)
        }
        for (const s of source(surplus)) {
          await s.driver.delete(entry.id)
          report.deletes++
        }
        await this.queue.done(entry)
      } catch (err) {
        log('replication failed, left queued', { id: entry.id, err: (err as Error).message })
      }
    }
  }


}
