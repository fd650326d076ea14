// Loading the inode records of a filesystem: each must decode, carry the number its key
// names, and lie below the inode counter (or the counter would hand it out again).
import { decodeInode, type Inode } from '../fs/inode'
import type { MetaStore } from '../meta/store'
import type { Report } from './report'
import type { Keys } from '../fs/schema'
import { scan } from './scan'

/** loadInodes reads every inode record; next is the counter's next number. */
export async function loadInodes(store: MetaStore, keys: Keys, next: number, report: Report): Promise<Map<number, Inode>> {
  const inodes = new Map<number, Inode>()
  for await (const kv of scan(store, keys.section('i'))) {
    const key = kv.key.toString()
    const parts = keys.parse('i', kv.key)
    if (!parts || parts.rest !== '') {
      report({ kind: 'bad-key', key, detail: 'not an inode key' })
      continue
    }
    const inode = decode(kv.value)
    if (!inode || inode.ino !== parts.ino) {
      report({ kind: 'bad-inode', key, ino: parts.ino, detail: inode ? `the record says inode ${inode.ino}` : 'the record does not decode' })
      continue
    }
    if (parts.ino >= next) report({ kind: 'inode-counter', key, ino: parts.ino, detail: `inode ${parts.ino} is not below the counter (${next}): it would be allocated again` })
    inodes.set(parts.ino, inode)
  }
  return inodes
}

function decode(value: Buffer): Inode | undefined {
  try {
    const i = decodeInode(value)
    const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0
    return count(i.ino) && count(i.mode) && count(i.nlink) && count(i.size) ? i : undefined
  } catch {
    return undefined
  }
}
