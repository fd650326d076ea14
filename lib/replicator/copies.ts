// Where a blob's copies should be and where they are, shared by the replicator and the
// placement check of fsck.
import type { BloomFilter } from 'bloom-filters'
import type { PoolDriver } from '../../drivers/driver'
import { targets } from '../placement/placement'
import type { PlacementConfig } from '../placement/placement-config'
import { ruleFor } from '../placement/policy'
import type { BlobRef } from './blob-refs'

/** targetsOf is the union of the targets of the policies of every path that uses the blob */
export function targetsOf(id: string, ref: BlobRef, config: PlacementConfig): string[] {
  const all = new Set<string>()
  for (const path of ref.paths) for (const t of targets(id, ruleFor(path, config.rules)!.policy, config.pools)) all.add(t)
  return [...all]
}

/**
 * holders are the pools that hold a copy of id, as far as they answer (an unopened or failing
 * pool is left out); a pool whose bloom filter says the blob is surely absent is not asked
 */
export async function holders(id: string, config: PlacementConfig, drivers: Map<string, PoolDriver>, blooms?: Map<string, BloomFilter | null>): Promise<string[]> {
  const out: string[] = []
  for (const pool of config.pools) {
    const driver = drivers.get(pool.name)
    if (!driver) continue
    const bloom = blooms?.get(pool.name)
    if (bloom && !bloom.has(id)) continue
    if (await driver.has(id).catch(() => false)) out.push(pool.name)
  }
  return out
}
