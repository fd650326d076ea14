// Which blobs the filesystem references, and from which paths: a walk of the namespace from
// the root, reading each directory's entries and each file's chunk layouts page by page.
// A blob's policy comes from its paths (a hard-linked file has several); a file with no
// name left (unlinked, still open: a gone/ marker keeps it) is referenced under the root
// policy until its last close, so that neither gc nor the replicator takes its blobs away.
import { S_IFDIR, S_IFMT } from '../fs/inode'
import { Keys, ROOT_INO } from '../fs/schema'
import type { Extent } from '../data/extent'
import type { KeyValue, MetaStore } from '../meta/store'

const PAGE = 500

export interface BlobRef {
  paths: string[]
  /** bytes of the blob that extents use (a lower bound of its size), for backlog and bandwidth */
  bytes: number
}

async function* pages(store: MetaStore, prefix: string): AsyncGenerator<KeyValue> {
  let after: Buffer | undefined
  for (;;) {
    const page = await store.range(prefix, { limit: PAGE, after })
    yield* page.kvs
    if (!page.more || page.kvs.length === 0) return
    after = page.kvs[page.kvs.length - 1].key
  }
}

/** referencedBlobs maps every blob reachable from the root to the paths that use it */
export async function referencedBlobs(store: MetaStore, fsName: string): Promise<Map<string, BlobRef>> {
  const keys = new Keys(fsName)
  const blobs = new Map<string, BlobRef>()
  const dirs: Array<[number, string]> = [[ROOT_INO, '']]
  for (let next = dirs.pop(); next; next = dirs.pop()) {
    const [dir, path] = next
    const prefix = keys.entries(dir)
    for await (const kv of pages(store, prefix)) {
      const name = kv.key.toString().slice(prefix.length)
      const [ino, type] = JSON.parse(kv.value.toString()) as [number, number]
      const child = `${path}/${name}`
      if ((type & S_IFMT) === S_IFDIR) dirs.push([ino, child])
      else await addChunks(store, keys, ino, child, blobs)
    }
  }
  for await (const kv of pages(store, keys.goneAll())) {
    await addChunks(store, keys, parseInt(kv.key.toString().slice(keys.goneAll().length), 16), '/', blobs)
  }
  return blobs
}

async function addChunks(store: MetaStore, keys: Keys, ino: number, path: string, blobs: Map<string, BlobRef>): Promise<void> {
  for await (const kv of pages(store, keys.chunks(ino))) {
    for (const e of JSON.parse(kv.value.toString()) as Extent[]) {
      const ref = blobs.get(e.blob)
      if (!ref) blobs.set(e.blob, { paths: [path], bytes: e.boff + e.len })
      else {
        if (!ref.paths.includes(path)) ref.paths.push(path)
        ref.bytes = Math.max(ref.bytes, e.boff + e.len)
      }
    }
  }
}
