// What a mount writes and reads through: every pool of the placement config (active and
// draining), opened, and a Placement for lib/data's BlobStore that sends each sealed block to
// its targets under the policy of its file's path, `sync` of them before the metadata commit
// and the rest queued durably for the replicator, and queues a blob a read found a bad copy of
// for repair.
//
// Reads: a blob's targets first, then every other pool (a copy not moved yet); within each, the
// pools of the mount's site (`mount --site`) first. A pool whose bloom filter says the blob is
// surely absent goes to the very end instead (never dropped: a filter is as fresh as its last
// scan or replicator update, and a blob written since may be there). The mount adds what it
// writes to the filters it holds, so that its own new blobs are never put behind.
//
// The path is the one the mount last reached the file by (lib/fs/name-cache.ts pathOf); when
// it does not know one, the root policy. A hard-linked file, or one renamed by another mount,
// may be written under another path's policy than the one it ends up under: the replicator,
// which walks the namespace, moves those copies. A mount follows the policies and its pools'
// weights and states as they change (follow); it has no driver for a pool added later, so a
// block that pool is a target of goes elsewhere and is queued until a remount opens it.
import type { BloomFilter } from 'bloom-filters'
import { openPool } from '../../drivers'
import type { PoolDriver } from '../../drivers/driver'
import type { BadCopy, Placement, Pool } from '../data/blob-store'
import { ConfigError } from '../errors'
import { log } from '../log'
import type { MetaStore, Watch } from '../meta/store'
import { PoolFilters } from '../replicator/pool-filter'
import { targets } from './placement'
import { PlacementStore, type PlacementConfig } from './placement-config'
import { ruleFor } from './policy'
import { ReplicationQueue } from './replication-queue'

export interface ReadHints {
  /** the site this mount is in: its pools are read first */
  site?: string
  /** pool -> its bloom filter of the blob ids it holds (absent or null: none, never skipped) */
  filters?: Map<string, BloomFilter | null>
}

export class PolicyPlacement implements Placement {
  /** pools a bloom filter moved to the end of a read order, because they surely lack the blob */
  filterSkips = 0
  private siteOf = new Map<string, string>()
  private watch: Watch | undefined

  constructor(private config: PlacementConfig, private readonly queue: ReplicationQueue, private readonly hints: ReadHints = {}) {
    this.use(config)
  }

  /** epoch is the placement epoch of the config in use */
  get epoch(): number {
    return this.config.epoch
  }

  /**
   * follow keeps the config current: it watches the placement epoch and reloads the pools and
   * policies on every change (so a policy set while the mount runs applies to its next blocks).
   * Pools added since the mount opened are not open here: a block they are targets of goes to
   * another pool and is queued, and the replicator moves it.
   */
  async follow(placement: PlacementStore): Promise<void> {
    this.watch = await placement.store.watch(placement.keys.epoch(), {
      onEvents: () => {
        placement.load().then(c => this.use(c), (err: unknown) => log.warn({ err }, 'reloading the placement config failed; the mount keeps the one it has'))
      },
      onError: err => log.warn({ err }, 'watching the placement epoch failed; the mount keeps the config it has'),
    })
  }

  /** close stops following the config; idempotent */
  async close(): Promise<void> {
    await this.watch?.close()
    this.watch = undefined
  }

  /** use makes config the one in force, unless a newer one is already (reloads may finish out of order) */
  private use(config: PlacementConfig): void {
    if (this.siteOf.size > 0 && config.epoch <= this.config.epoch) return
    this.config = config
    this.siteOf = new Map(config.pools.map(p => [p.name, p.site]))
  }

  targets(id: string, path = '/'): { pools: string[]; sync: number } {
    const { policy } = ruleFor(path, this.config.rules)!
    return { pools: targets(id, policy, this.config.pools), sync: policy.sync }
  }

  readOrder(id: string): string[] {
    const want = this.targets(id).pools
    const nearFirst = (names: string[]) => [...names.filter(n => this.siteOf.get(n) === this.hints.site), ...names.filter(n => this.siteOf.get(n) !== this.hints.site)]
    const order = [...nearFirst(want), ...nearFirst(this.config.pools.map(p => p.name).filter(n => !want.includes(n)))]
    const absent = order.filter(n => this.hints.filters?.get(n)?.has(id) === false)
    this.filterSkips += absent.length
    return [...order.filter(n => !absent.includes(n)), ...absent]
  }

  stored(id: string, pools: string[]): void {
    for (const p of pools) this.hints.filters?.get(p)?.add(id)
  }

  defer(id: string, bytes: number): Promise<void> {
    return this.queue.add([{ id, bytes }])
  }

  reportBad(bad: BadCopy): Promise<void> {
    return this.queue.add([{ id: bad.id, bytes: 0, suspect: [bad.pool] }])
  }
}

/**
 * openPlacedPools opens every pool of the filesystem's placement config (all or none), their
 * bloom filters, and its Placement; site, when given, must be the site of some pool. With
 * follow (a mount), the Placement follows config changes until it is closed.
 */
export async function openPlacedPools(store: MetaStore, fsName: string, opts: { site?: string; follow?: boolean } = {}): Promise<{ pools: Pool[]; placement: PolicyPlacement }> {
  const placementStore = new PlacementStore(store, fsName)
  const config = await placementStore.load()
  const sites = [...new Set(config.pools.map(p => p.site))]
  if (opts.site !== undefined && !sites.includes(opts.site)) throw new ConfigError('site', `no pool is in site '${opts.site}' (sites: ${sites.join(', ')})`)
  const opened: Array<{ name: string; driver: PoolDriver }> = []
  const filters = new Map<string, BloomFilter | null>()
  const poolFilters = new PoolFilters(store, fsName)
  try {
    for (const p of config.pools) {
      const driver = await openPool(p.config)
      opened.push({ name: p.name, driver })
      filters.set(p.name, await poolFilters.load(p.name, driver))
    }
  } catch (err) {
    for (const p of opened) await p.driver.close()
    throw err
  }
  const placement = new PolicyPlacement(config, new ReplicationQueue(store, fsName), { site: opts.site, filters })
  try {
    if (opts.follow) await placement.follow(placementStore)
  } catch (err) {
    for (const p of opened) await p.driver.close()
    throw err
  }
  return { pools: opened, placement }
}
