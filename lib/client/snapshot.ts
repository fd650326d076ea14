// Opening a snapshot of a filesystem (lib/snapshot): its groups' pages are read from the pools
// into stores in memory, and the filesystem is opened on them as it was at the cut. Nothing
// is written back anywhere: a mount of it is read-only (lib/cli/mount.ts makes it so).
import type { Filesystem } from '../fs/filesystem'
import { ROOT_GROUP } from '../fs/ino'
import type { MetaStore } from '../meta/store'
import { openPlacedPools } from '../placement/placed-pools'
import { getSnapshot, loadSnapshot, readFromPools } from '../snapshot/catalogue'
import { openFilesystem, type ClientOptions } from './open'

/** openSnapshot opens snapshot `snapshot` of the filesystem whose root group is live */
export async function openSnapshot(live: MetaStore, snapshot: string, opts: ClientOptions = {}): Promise<Filesystem> {
  const name = opts.name ?? 'meridian'
  const record = await getSnapshot(live, name, snapshot)
  const { pools } = await openPlacedPools(live, name)
  let stores: Map<number, MetaStore>
  try {
    stores = await loadSnapshot(record, readFromPools(pools.map(p => p.driver)))
  } finally {
    for (const p of pools) await p.driver.close()
  }
  const root = stores.get(ROOT_GROUP)!
  try {
    // a snapshot's replicas never move: there is no clock to keep
    return await openFilesystem(root, { ...opts, name, reads: 'linearizable', stores })
  } catch (err) {
    for (const s of stores.values()) await s.close()
    throw err
  }
}
