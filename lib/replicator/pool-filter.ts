// Per-pool bloom filters of the blob ids a pool holds. The filter itself is stored in the
// pool, as a blob (its id names its bytes); the metadata keeps a FilterRef per pool with a
// version that every rebuild bumps (guarded, so two scans never both win). A filter says
// "surely absent" or "maybe present": the replicator copies to a pool whose filter says a
// blob is absent without asking the pool, and asks the pool when it says maybe.
import { BloomFilter } from 'bloom-filters'
import type { PoolDriver } from '../../drivers/driver'
import { blobId } from '../data/blob-id'
import { EAGAIN } from '../errors'
import type { MetaStore } from '../meta/store'
import { PlacementKeys } from '../placement/keys'

/** the false-positive rate filters are built for */
export const DEFAULT_ERROR_RATE = 0.01

export interface FilterRef {
  version: number
  /** the blob in the pool that holds the filter's JSON */
  blob: string
  /** ids in the filter */
  items: number
  errorRate: number
  builtMs: number
}

export class PoolFilters {
  private readonly keys: PlacementKeys
  constructor(private readonly store: MetaStore, fsName: string) {
    this.keys = new PlacementKeys(fsName)
  }

  async ref(pool: string): Promise<{ ref: FilterRef | null; modRevision: number }> {
    const { kv } = await this.store.get(this.keys.bloom(pool))
    return { ref: kv ? (JSON.parse(kv.value.toString()) as FilterRef) : null, modRevision: kv?.modRevision ?? 0 }
  }

  /** load reads the pool's filter, or null when it has none (or it cannot be read: then nothing is assumed) */
  async load(pool: string, driver: PoolDriver): Promise<BloomFilter | null> {
    const { ref } = await this.ref(pool)
    if (!ref) return null
    try {
      return BloomFilter.fromJSON(JSON.parse((await driver.get(ref.blob)).toString())) as BloomFilter
    } catch {
      return null
    }
  }

  /**
   * scan lists the pool, builds its filter, stores it in the pool and bumps the version; the
   * previous filter blob is deleted once the new one is in force
   */
  async scan(pool: string, driver: PoolDriver, errorRate = DEFAULT_ERROR_RATE, onListed?: (n: number) => void): Promise<FilterRef> {
    const { ref: old, modRevision } = await this.ref(pool)
    const ids: string[] = []
    for await (const id of driver.list()) {
      if (id !== old?.blob) ids.push(id)
      onListed?.(ids.length)
    }
    const filter = BloomFilter.create(Math.max(1, ids.length), errorRate)
    for (const id of ids) filter.add(id)
    return this.save(pool, driver, filter, ids.length, errorRate, old, modRevision)
  }

  /**
   * add puts ids into the pool's filter, as its next version; a pool without a filter gets none
   * (`pool scan` builds the first). Past the items it was built for, its false-positive rate
   * grows until the next scan.
   */
  async add(pool: string, driver: PoolDriver, ids: string[]): Promise<void> {
    const { ref, modRevision } = await this.ref(pool)
    const filter = await this.load(pool, driver)
    if (!ref || !filter) return
    for (const id of ids) filter.add(id)
    await this.save(pool, driver, filter, ref.items + ids.length, ref.errorRate, ref, modRevision)
  }

  /** save stores filter in the pool as the pool's next version, guarded by the version it replaces */
  private async save(pool: string, driver: PoolDriver, filter: BloomFilter, items: number, errorRate: number, old: FilterRef | null, modRevision: number): Promise<FilterRef> {
    const data = Buffer.from(JSON.stringify(filter.saveAsJSON()))
    const blob = blobId(data)
    await driver.put(blob, data)
    await driver.sync()
    const ref: FilterRef = { version: (old?.version ?? 0) + 1, blob, items, errorRate, builtMs: Date.now() }
    const key = this.keys.bloom(pool)
    const res = await this.store.txn([{ key, target: 'mod', op: '=', value: modRevision }], [{ type: 'put', key, value: JSON.stringify(ref) }])
    if (!res.succeeded) {
      if (blob !== old?.blob) await driver.delete(blob)
      throw EAGAIN(`pool ${pool}: its filter was rebuilt meanwhile by another scan`)
    }
    if (old && old.blob !== blob) await driver.delete(old.blob)
    return ref
  }
}
