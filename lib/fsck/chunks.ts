// Chunk keys: each belongs to an existing regular file and holds a valid layout
// (extents.ts). Returns the blobs the layouts reference, for the pool check.
import { isReg, type Inode } from '../fs/inode'
import type { MetaStore } from '../meta/store'
import { extentProblems, isExtent } from './extents'
import type { Report } from './report'
import { decodeUntrusted, type Keys } from '../fs/schema'
import { scan } from './scan'

/** Where a blob is referenced (the first place found), for reporting it missing. */
export interface BlobRef {
  key: string
  ino: number
}

/** checkChunks checks every chunk key; blob id -> its first reference. */
export async function checkChunks(
  store: MetaStore, keys: Keys, chunkSize: number, inodes: Map<number, Inode>, report: Report, blobs = new Map<string, BlobRef>(),
): Promise<Map<string, BlobRef>> {
  for await (const kv of scan(store, keys.section('c'))) {
    const key = kv.key.toString()
    const parts = keys.parse('c', kv.key)
    const index = keys.chunkIndexOf(kv.key)
    if (!parts || index === undefined) {
      report({ kind: 'bad-key', key, detail: 'not a chunk key' })
      continue
    }
    const { ino } = parts
    const inode = inodes.get(ino)
    if (!inode || !isReg(inode)) {
      report({ kind: inode ? 'chunk-not-file' : 'chunk-orphan', key, ino, detail: `chunk of inode ${ino}, which ${inode ? 'is not a regular file' : 'does not exist'}` })
      continue
    }
    const value = decodeUntrusted(kv.value)
    const start = index * chunkSize
    for (const p of extentProblems(value, { chunkSize, start, size: inode.size })) report({ ...p, key, ino })
    for (const e of Array.isArray(value) ? value.filter(isExtent) : []) {
      if (!blobs.has(e.blob)) blobs.set(e.blob, { key, ino })
    }
  }
  return blobs
}
