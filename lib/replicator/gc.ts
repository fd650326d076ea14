// Garbage collection of blobs no file references. Pools keep no reliable creation time per
// blob, so the grace period is measured by Meridian itself: a pass records each unreferenced
// blob it finds, with the time, under placement/gc/<blob id>; a later pass deletes it from
// every pool only if it is still unreferenced and was first seen more than `grace` ago. A blob
// written but not yet committed (data first, metadata second) is therefore never deleted
// before its write has had the whole grace period to commit. Blobs in the replication queue
// and pools' bloom filter blobs are never candidates.
import type { PoolDriver } from '../../drivers/driver'
import type { MetaStore, Op } from '../meta/store'
import { limits } from '../meta/store'
import { PlacementKeys } from '../placement/keys'
import { ReplicationQueue } from '../placement/replication-queue'
import { referencedBlobs } from './blob-refs'
import { PoolFilters } from './pool-filter'

export interface GcReport {
  /** unreferenced blobs found in the pools */
  unreferenced: number
  /** of those, first seen by this pass: recorded, deleted by a later pass after the grace period */
  recorded: number
  /** blobs deleted (or, with dryRun, that would be) and the copies removed */
  deleted: number
  copies: number
  dryRun: boolean
}

export async function collectGarbage(store: MetaStore, fsName: string, drivers: Map<string, PoolDriver>,
  opts: { graceMs: number; dryRun?: boolean; onProgress?(done: number, total: number): void }): Promise<GcReport> {
  const keys = new PlacementKeys(fsName)
  const refs = await referencedBlobs(store, fsName, drivers)
  const keep = new Set((await new ReplicationQueue(store, fsName).list()).map(e => e.id))
  const filters = new PoolFilters(store, fsName)
  for (const name of drivers.keys()) {
    const { ref } = await filters.ref(name)
    if (ref) keep.add(ref.blob)
  }
  // blob -> the pools holding an unreferenced copy
  const found = new Map<string, string[]>()
  for (const [name, driver] of drivers) {
    for await (const id of driver.list()) {
      if (refs.has(id) || keep.has(id)) continue
      found.set(id, [...(found.get(id) ?? []), name])
    }
  }
  const seen = new Map<string, number>()
  for (const kv of (await store.range(keys.gcSeen())).kvs) seen.set(kv.key.toString().slice(keys.gcSeen().length), Number(kv.value.toString()))
  const now = Date.now()
  const report: GcReport = { unreferenced: found.size, recorded: 0, deleted: 0, copies: 0, dryRun: opts.dryRun ?? false }
  const record: Op[] = []
  let done = 0
  for (const [id, pools] of found) {
    const first = seen.get(id)
    if (first === undefined) {
      record.push({ type: 'put', key: keys.gcSeenAt(id), value: String(now) })
      report.recorded++
    } else if (now - first >= opts.graceMs) {
      report.deleted++
      report.copies += pools.length
      if (!report.dryRun) {
        for (const p of pools) await drivers.get(p)!.delete(id)
        record.push({ type: 'delete', key: keys.gcSeenAt(id) })
      }
    }
    opts.onProgress?.(++done, found.size)
  }
  // a recorded blob that is referenced again (or gone) is forgotten
  for (const id of seen.keys()) if (!found.has(id)) record.push({ type: 'delete', key: keys.gcSeenAt(id) })
  if (!report.dryRun) for (let i = 0; i < record.length; i += limits.txnOps) await store.txn([], record.slice(i, i + limits.txnOps))
  return report
}
