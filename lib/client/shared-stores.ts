// The stores of further groups, shared by URL among the filesystems one process opens (two
// mounts of one filesystem in a process, or fsck beside a mount), and closed with the last
// user. An embedded store can have one opener only, so sharing is what lets them coexist.
import { openStore } from '../meta'
import type { MetaStore } from '../meta/store'
import type { OpenedGroup } from '../fs/groups'

const shared = new Map<string, { store: Promise<MetaStore>; users: number }>()

/** openShared opens the store at url, or shares the one this process has open already */
export async function openShared(url: string, deadlineMs: number): Promise<OpenedGroup> {
  let entry = shared.get(url)
  if (!entry) {
    entry = { store: openStore(url, { deadlineMs }), users: 0 }
    shared.set(url, entry)
    entry.store.catch(() => shared.delete(url))
  }
  entry.users++
  const store = await entry.store
  let released = false
  return {
    store,
    async release() {
      if (released) return
      released = true
      if (--entry.users > 0) return
      shared.delete(url)
      await store.close()
    },
  }
}
