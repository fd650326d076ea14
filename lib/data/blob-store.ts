// BlobStore reads and writes blobs across an ordered list of pools, nearest first.
// A put returns once `copies` pools hold the blob; copying it further is the replicator's job.
// With a Placement, the placement names the pools instead: a put writes the first `sync` of a
// blob's targets and, when the blob has more targets than that, has the placement queue the
// rest durably before it returns (so before the metadata that references the blob commits).
// A read trusts a copy only after checking its hash: a missing or corrupt copy is skipped,
// logged and listed in badCopies for the replicator to repair, and the next pool is tried.
// Every call to a pool has a deadline (poolTimeoutMs), so a pool that hangs counts as a failed
// one: a read moves on to the next copy, a put to the next pool, and for SLOW_FOR_MS after a
// timeout the pool is tried after the others (so a hung pool costs one deadline, not one per
// read). When every pool refuses a put
// for the same reason (all full, all read-only, all past the deadline), that errno is the put's; otherwise EIO.
import type { PoolDriver, PoolUsage } from '../../drivers/driver'
import { ConfigError, EIO, ETIMEDOUT, FsError, toErrno, type ErrnoCode } from '../errors'
import { holds, idOf } from './blob-id'
import type { ReadCache } from './read-cache'

export interface Pool {
  name: string
  driver: PoolDriver
}

export type Log = (msg: string, ctx: object) => void

/** Placement decides where a sealed block goes (lib/placement implements it over the policies) */
export interface Placement {
  /** targets are the pools blob id of the file at path (when known) belongs in, in order, and how many must hold it before put returns */
  targets(id: string, path?: string): { pools: string[]; sync: number }
  /** readOrder is every pool to try for blob id, best first (its targets, the nearest, those a filter does not rule out) */
  readOrder(id: string): string[]
  /** stored tells the placement which pools now hold blob id */
  stored(id: string, pools: string[]): void
  /** defer records durably that blob id still lacks copies on some of its targets, for the replicator */
  defer(id: string, bytes: number): Promise<void>
  /** reportBad records durably that a pool's copy of a blob was found missing or corrupt, for repair */
  reportBad(bad: BadCopy): Promise<void>
}

export interface BlobStoreOptions {
  /** where blobs go; without one, the first `copies` pools that accept a blob */
  placement?: Placement
  /** how many pools must hold a blob before put returns; default 1, capped at the number of pools */
  copies?: number
  cache?: ReadCache
  log?: Log
  /** how long one call to a pool may take before it counts as failed (default 10 s) */
  poolTimeoutMs?: number
}

/** the default deadline of one pool call: long enough for a 4 MiB block over a slow link */
export const POOL_TIMEOUT_MS = 10_000

/** how long a pool that timed out is tried after the others */
const SLOW_FOR_MS = 60_000

/** errnos that say why a pool refuses writes, passed on as they are when every pool says the same */
const REFUSALS: ReadonlySet<ErrnoCode> = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'EFBIG', 'ETIMEDOUT'])

/** A BadCopy is a pool found lacking a blob it was asked for, or holding wrong bytes under its id. */
export interface BadCopy {
  pool: string
  id: string
  problem: 'missing' | 'corrupt'
}

export class BlobStore {
  /** badCopies lists each bad copy reads found, once, until the replicator repairs and removes it */
  readonly badCopies: BadCopy[] = []
  private readonly copies: number
  private readonly cache: ReadCache | undefined
  private readonly log: Log
  private readonly placement: Placement | undefined
  private readonly poolTimeoutMs: number
  /** pool name -> until when it is tried last, having timed out */
  private readonly slowUntil = new Map<string, number>()
  /** pools that took a blob since their last sync: only they have anything to make durable */
  private readonly unsynced = new Set<Pool>()
  // concurrent reads of one uncached blob share a single fetch
  private readonly fetching = new Map<string, Promise<Buffer>>()
  private closed = false

  constructor(
    private readonly pools: Pool[],
    { copies = 1, cache, log = () => {}, placement, poolTimeoutMs = POOL_TIMEOUT_MS }: BlobStoreOptions = {},
  ) {
    if (pools.length === 0) throw new ConfigError('pools', 'a blob store needs at least one pool')
    this.copies = Math.min(Math.max(1, copies), pools.length)
    this.placement = placement
    this.cache = cache
    this.log = log
    this.poolTimeoutMs = poolTimeoutMs
  }

  /**
   * put stores data in `copies` pools, or where the placement puts a block of the file at path,
   * and returns its id; data must not change afterwards (it is cached).
   */
  async put(data: Buffer, path?: string): Promise<string> {
    this.checkOpen()
    const id = await idOf(data)
    const plan = this.placement?.targets(id, path)
    // a target that fails is stood in for by the next target, then by any other pool (the replicator moves it later)
    const order = this.responsiveFirst(plan ? this.withTargetsFirst(plan.pools) : this.pools)
    const copies = plan ? Math.min(plan.sync, order.length) : this.copies
    const written: string[] = []
    const refusals = new Set<ErrnoCode>()
    let next = 0
    // one writer per required copy, in parallel; a writer whose pool fails moves on to the next untried pool
    const writeOne = async (): Promise<boolean> => {
      while (next < order.length) {
        const pool = order[next++]
        try {
          await this.withDeadline(pool, 'put', () => pool.driver.put(id, data))
          written.push(pool.name)
          this.unsynced.add(pool)
          return true
        } catch (err) {
          refusals.add(toErrno(err))
          this.log('put failed', { pool: pool.name, id, err })
        }
      }
      return false
    }
    const results = await Promise.all(Array.from({ length: copies }, writeOne))
    const stored = results.filter(Boolean).length
    if (stored < copies) {
      const why = `blob ${id}: stored in ${stored} of the ${copies} pools required (the others: ${[...refusals].join(', ')})`
      const [only] = refusals
      throw refusals.size === 1 && REFUSALS.has(only) ? new FsError(only, why) : EIO(why)
    }
    this.placement?.stored(id, written)
    if (plan && (plan.pools.length > copies || written.some(n => !plan.pools.includes(n)))) await this.placement!.defer(id, data.length)
    this.cache?.set(id, data)
    return id
  }

  /** read returns len bytes of blob id from off, fewer where the range passes the blob's end; treat it as read-only. */
  async read(id: string, off: number, len: number): Promise<Buffer> {
    this.checkOpen()
    const data = this.cache?.get(id) ?? (await this.fetch(id))
    return data.subarray(off, off + len)
  }

  /**
   * prefetch starts fetching blob id into the cache, unless it is cached or on its way already;
   * a read of it meanwhile shares the fetch. A failure is logged as a read's would be, and left
   * for a read to report. Without a cache there is nowhere to keep it: it does nothing.
   */
  prefetch(id: string): void {
    if (this.closed || !this.cache || this.cache.has(id) || this.fetching.has(id)) return
    this.fetch(id).catch(() => undefined)
  }

  /**
   * sync makes every blob this store put durable in its pools (pools may acknowledge puts before
   * they reach the disk); a pool that took nothing since its last sync is left alone, so a pool
   * that fails and took nothing fails no fsync
   */
  async sync(): Promise<void> {
    this.checkOpen()
    const pools = [...this.unsynced]
    this.unsynced.clear()
    const failed = (await Promise.allSettled(pools.map(p => this.withDeadline(p, 'sync', () => p.driver.sync())))).flatMap((r, n) => {
      if (r.status === 'fulfilled') return []
      this.log('sync failed', { pool: pools[n].name, err: r.reason })
      this.unsynced.add(pools[n])
      return [pools[n].name]
    })
    if (failed.length > 0) throw EIO(`pools ${failed.join(', ')} could not make their blobs durable`)
  }

  /** has tells whether any pool holds blob id (pools only: the cache proves nothing about durability). */
  async has(id: string): Promise<boolean> {
    this.checkOpen()
    for (const pool of this.pools) {
      try {
        if (await this.withDeadline(pool, 'has', () => pool.driver.has(id))) return true
      } catch (err) {
        this.log('has failed', { pool: pool.name, id, err })
      }
    }
    return false
  }

  /** usage is the capacity of the nearest pool, where new blobs go first (for statfs) */
  usage(): Promise<PoolUsage> {
    return this.pools[0].driver.usage()
  }

  /** close stops the store; idempotent. It closes no pool or cache: they belong to whoever opened them. */
  async close(): Promise<void> {
    this.closed = true
  }

  private fetch(id: string): Promise<Buffer> {
    let pending = this.fetching.get(id)
    if (!pending) {
      pending = this.fetchVerified(id).finally(() => this.fetching.delete(id))
      this.fetching.set(id, pending)
    }
    return pending
  }

  /** withTargetsFirst is every pool, the named ones first in their order (names this store lacks are skipped) */
  private withTargetsFirst(targets: string[]): Pool[] {
    const first = targets.flatMap(n => this.pools.filter(p => p.name === n))
    return [...first, ...this.pools.filter(p => !first.includes(p))]
  }

  /**
   * fetchVerified gets the whole blob from the nearest pool with a copy that matches its id:
   * with a placement, in its read order (its targets first, where it should be, then every
   * other pool, where it may still be before the replicator has moved it).
   */
  private async fetchVerified(id: string): Promise<Buffer> {
    for (const pool of this.responsiveFirst(this.placement ? this.withTargetsFirst(this.placement.readOrder(id)) : this.pools)) {
      let data: Buffer
      try {
        data = await this.withDeadline(pool, 'get', () => pool.driver.get(id))
      } catch (err) {
        if (toErrno(err) === 'ENOENT') this.reportBadCopy({ pool: pool.name, id, problem: 'missing' })
        // an unreachable pool is not a bad copy: the blob there may be fine
        else this.log('get failed', { pool: pool.name, id, err })
        continue
      }
      if (!(await holds(id, data))) {
        this.reportBadCopy({ pool: pool.name, id, problem: 'corrupt' })
        continue
      }
      this.cache?.set(id, data)
      return data
    }
    throw EIO(`blob ${id}: no pool holds a good copy`)
  }

  /** responsiveFirst is pools in their order, those that timed out lately moved to the end */
  private responsiveFirst(pools: Pool[]): Pool[] {
    const now = Date.now()
    const slow = (p: Pool) => (this.slowUntil.get(p.name) ?? 0) > now
    return [...pools.filter(p => !slow(p)), ...pools.filter(slow)]
  }

  /** withDeadline runs one call to a pool, failing it with ETIMEDOUT after poolTimeoutMs (a late answer is dropped) */
  private withDeadline<T>(pool: Pool, call: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.slowUntil.set(pool.name, Date.now() + SLOW_FOR_MS)
        reject(ETIMEDOUT(`pool ${pool.name}: ${call} took over ${this.poolTimeoutMs} ms`))
      }, this.poolTimeoutMs)
    })
    return Promise.race([fn(), late]).finally(() => clearTimeout(timer))
  }

  private reportBadCopy(bad: BadCopy): void {
    this.log('bad copy', bad)
    if (this.badCopies.some(c => c.pool === bad.pool && c.id === bad.id)) return
    this.badCopies.push(bad)
    this.placement?.reportBad(bad).catch(err => this.log('reporting a bad copy failed', { ...bad, err }))
  }

  private checkOpen(): void {
    if (this.closed) throw EIO('blob store is closed')
  }
}
