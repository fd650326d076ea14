// Loading the inode records of a filesystem: each must decode, carry the number its key
// names, and lie below the inode counter (or the counter would hand it out again).
import { decodeInode, type Inode } from '../fs/inode'
import type { MetaStore } from '../meta/store'
import type { Report } from './report'
import { groupOf } from '../fs/ino'
import type { Keys } from '../fs/schema'
import { scan } from './scan'

/**
 * loadInodes reads every inode record of one group's store into inodes; next is the group's
 * counter, and every inode there must carry the group's id in its number
 */
export async function loadInodes(
  store: MetaStore, keys: Keys, group: number, next: number, report: Report, inodes = new Map<number, Inode>(),
): Promise<Map<number, Inode>> {
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
    if (groupOf(parts.ino) !== group) report({ kind: 'inode-group', key, ino: parts.ino, detail: `inode ${parts.ino} is in the store of group ${group}, its number names group ${groupOf(parts.ino)}` })
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
