// What a mount writes and reads through: every pool of the placement config (active and
// draining), opened, and a Placement for lib/data's BlobStore that sends each sealed block to
// its targets under the root policy, `sync` of them before the metadata commit and the rest
// queued durably for the replicator, and queues a blob a read found a bad copy of for repair.
//
// Why the root policy: a block is sealed for an inode, and an inode does not know its path
// (hard links give it several; lib/fs is inode-based), so per-path policies are applied by the
// replicator, which walks the namespace. A mount takes the pool map it opened with; pools
// added later are used after a remount (the replicator sees them at once).
import { openPool } from '../../drivers'
import type { PoolDriver } from '../../drivers/driver'
import type { BadCopy, Placement, Pool } from '../data/blob-store'
import type { MetaStore } from '../meta/store'
import { targets } from './placement'
import { PlacementStore, type PlacementConfig } from './placement-config'
import { ruleFor } from './policy'
import { ReplicationQueue } from './replication-queue'

export class PolicyPlacement implements Placement {
  constructor(private readonly config: PlacementConfig, private readonly queue: ReplicationQueue) {}

  targets(id: string): { pools: string[]; sync: number } {
    const { policy } = ruleFor('/', this.config.rules)!
    return { pools: targets(id, policy, this.config.pools), sync: policy.sync }
  }

  defer(id: string, bytes: number): Promise<void> {
    return this.queue.add([{ id, bytes }])
  }

  reportBad(bad: BadCopy): Promise<void> {
    return this.queue.add([{ id: bad.id, bytes: 0, suspect: [bad.pool] }])
  }
}

/** openPlacedPools opens every pool of the filesystem's placement config (all or none) and its Placement */
export async function openPlacedPools(store: MetaStore, fsName: string): Promise<{ pools: Pool[]; placement: Placement }> {
  const config = await new PlacementStore(store, fsName).load()
  const opened: Array<{ name: string; driver: PoolDriver }> = []
  try {
    for (const p of config.pools) opened.push({ name: p.name, driver: await openPool(p.config) })
  } catch (err) {
    for (const p of opened) await p.driver.close()
    throw err
  }
  return { pools: opened, placement: new PolicyPlacement(config, new ReplicationQueue(store, fsName)) }
}
