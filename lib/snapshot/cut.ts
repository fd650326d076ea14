// A consistent cut of every group of a filesystem: fence them all, wait until no cross-group
// transaction is in flight, read each group whole at one revision, lower the fences. What a
// cut holds is the filesystem's keys as plain values: an envelope left by a transaction that
// can no longer commit (its record is gone) reads as its prior value, as a resolver would
// settle it; keys that only live with a session (sessions, open marks, the fence) are left out.
import type { Keys } from '../fs/schema'
import { dumpPrefix } from '../meta/dump'
import type { MetaStore } from '../meta/store'
import { DEFAULT_TIMEOUT_MS } from '../txn/options'
import { decodeIntent } from '../txn/intent'
import { Fence } from './fence'

export interface GroupCut {
  revision: number
  /** key -> value, in key order */
  kvs: Array<[Buffer, Buffer]>
}

/** how long past a transaction's own deadline the cut waits for it */
const QUIESCE_MARGIN_MS = 2_000

/** takeCut reads every group (name -> store) at a revision of its own, all of them consistent */
export async function takeCut(stores: Map<string, MetaStore>, keys: Keys): Promise<Map<string, GroupCut>> {
  const fence = await Fence.raise(stores, keys)
  try {
    await fence.quiesce(keys, DEFAULT_TIMEOUT_MS + QUIESCE_MARGIN_MS)
    const cut = new Map<string, GroupCut>()
    for (const [g, store] of stores) {
      const { revision, kvs } = await dumpPrefix(store, keys.prefix)
      const fenceKey = Buffer.from(keys.fence())
      const kept: Array<[Buffer, Buffer]> = []
      for (const kv of kvs) {
        const value = kv.lease === 0 && !kv.key.equals(fenceKey) ? settled(kv.value) : null
        if (value !== null) kept.push([kv.key, value])
      }
      cut.set(g, { revision, kvs: kept })
    }
    return cut
  } finally {
    await fence.lower()
  }
}

/** settled is what a key holds once any envelope on it is settled (null: absent): its record is gone, so it never committed */
function settled(value: Buffer): Buffer | null {
  const intent = decodeIntent(value)
  return intent ? intent.prior : value
}
