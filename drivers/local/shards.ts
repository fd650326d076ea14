// Where blobs live inside a local pool. The first hex digits of the hash pick nested shard
// directories, two digits (256 entries) per level, so no directory grows past a few thousand
// files: with two levels, sha256-abcd... lives at <root>/ab/cd/sha256-abcd...
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { isBlobId } from '../driver'

const HASH_START = 'sha256-'.length
const SHARD_NAME = /^[0-9a-f]{2}$/

/** shardDir is the directory that holds a (valid) blob id. */
export function shardDir(root: string, levels: number, id: string): string {
  const shards: string[] = []
  for (let level = 0; level < levels; level++) {
    const at = HASH_START + 2 * level
    shards.push(id.slice(at, at + 2))
  }
  return path.join(root, ...shards)
}

/** blobIds yields every blob id stored under dir, descending levels shard directories. */
export async function* blobIds(dir: string, levels: number): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true })
  for (const entry of entries) {
    if (levels > 0) {
      if (entry.isDirectory() && SHARD_NAME.test(entry.name)) yield* blobIds(path.join(dir, entry.name), levels - 1)
    } else if (entry.isFile() && isBlobId(entry.name)) {
      // temp files (.tmp-*) and anything foreign fail isBlobId and stay invisible
      yield entry.name
    }
  }
}
