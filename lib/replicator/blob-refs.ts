// Which blobs the filesystem references, and from which paths: a walk of the namespace from
// the root, reading each directory's entries and each file's chunk layouts page by page, each
// from the metadata group its inode lives in (lib/fs/ino.ts). A blob's policy comes from its
// paths (a hard-linked file has several); a file with no name left (unlinked, still open: a
// gone/ marker keeps it) is referenced under the root policy until its last close, so that
// neither gc nor the replicator takes its blobs away. A group that cannot be read fails the
// walk: a blob it references must never look unreferenced. Snapshots are walked the same way,
// from the groups they recorded (lib/snapshot).
import type { PoolDriver } from '../../drivers/driver'
import { EIO } from '../errors'
import { listGroups } from '../fs/config'
import { groupOf, ROOT_GROUP } from '../fs/ino'
import { S_IFDIR, S_IFMT } from '../fs/inode'
import { decodeEntry, decodeExtents, Keys, ROOT_INO } from '../fs/schema'
import { openStore } from '../meta'
import { scan } from '../meta/scan'
import type { MetaStore } from '../meta/store'
import { listSnapshots, loadSnapshot, readFromPools } from '../snapshot/catalogue'

export interface BlobRef {
  paths: string[]
  /** bytes of the blob that extents use (a lower bound of its size), for backlog and bandwidth */
  bytes: number
}

/**
 * referencedBlobs maps every blob reachable from the root, in every group, to the paths that
 * use it, and every blob a snapshot needs (its pages, under the root policy, and what its
 * tree references, under the paths it had then). Reading a snapshot's pages needs the pools: without drivers, a
 * filesystem that has snapshots fails the walk rather than leave their blobs unreferenced.
 */
export async function referencedBlobs(store: MetaStore, fsName: string, drivers?: Map<string, PoolDriver>): Promise<Map<string, BlobRef>> {
  const keys = new Keys(fsName)
  const groups = new Map<number, MetaStore>([[ROOT_GROUP, store]])
  const opened: MetaStore[] = []
  try {
    for (const g of await listGroups(store, keys)) {
      // the walk only reads: beside a mount that owns an embedded group, it reads that group
      const s = await openStore(g.url, { deadlineMs: 5_000, readOnly: true })
      opened.push(s)
      groups.set(g.id, s)
    }
    const blobs = new Map<string, BlobRef>()
    await walk(groups, keys, blobs)
    const snapshots = await listSnapshots(store, fsName)
    if (snapshots.length > 0 && !drivers) throw EIO(`filesystem '${fsName}' has snapshots: walking their references needs its pools`)
    for (const snap of snapshots) {
      for (const g of Object.values(snap.groups)) for (const id of g.pages) addRef(blobs, id, '/', 0)
      const stores = await loadSnapshot(snap, readFromPools([...drivers!.values()]))
      try {
        await walk(stores, keys, blobs)
      } finally {
        for (const s of stores.values()) await s.close()
      }
    }
    return blobs
  } finally {
    for (const s of opened) await s.close()
  }
}

/** walk adds what the tree of groups (id -> store) references */
async function walk(groups: Map<number, MetaStore>, keys: Keys, blobs: Map<string, BlobRef>): Promise<void> {
  const root = groups.get(ROOT_GROUP)!
  const storeOf = (ino: number) => groups.get(groupOf(ino)) ?? root
  const dirs: Array<[number, string]> = [[ROOT_INO, '']]
  for (let next = dirs.pop(); next; next = dirs.pop()) {
    const [dir, path] = next
    const prefix = keys.entries(dir)
    for await (const kv of scan(storeOf(dir), prefix)) {
      const entry = decodeEntry(kv.value)
      if (!entry) continue
      const child = `${path}/${kv.key.toString().slice(prefix.length)}`
      if ((entry.type & S_IFMT) === S_IFDIR) dirs.push([entry.ino, child])
      else await addChunks(storeOf(entry.ino), keys, entry.ino, child, blobs)
    }
  }
  for (const s of groups.values()) {
    for await (const kv of scan(s, keys.goneAll())) {
      const gone = keys.parse('gone', kv.key)
      if (gone) await addChunks(s, keys, gone.ino, '/', blobs)
    }
  }
}

function addRef(blobs: Map<string, BlobRef>, id: string, path: string, bytes: number): void {
  const ref = blobs.get(id)
  if (!ref) blobs.set(id, { paths: [path], bytes })
  else {
    if (!ref.paths.includes(path)) ref.paths.push(path)
    ref.bytes = Math.max(ref.bytes, bytes)
  }
}

async function addChunks(store: MetaStore, keys: Keys, ino: number, path: string, blobs: Map<string, BlobRef>): Promise<void> {
  for await (const kv of scan(store, keys.chunks(ino))) {
    for (const e of decodeExtents(kv.value)) addRef(blobs, e.blob, path, e.boff + e.len)
  }
}
