// gone/<ino> markers keep an inode that lost its last name while some session has it open
// (open/<ino>/<sid>); the last close, or the next mount once the openers' sessions have
// ended, frees it. Each marker must point at an existing inode with no links left.
import type { Inode } from '../fs/inode'
import type { Keys } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import type { Report } from './report'
import { scan } from './scan'

/** loadGone reads the inode numbers that carry a marker. */
export async function loadGone(store: MetaStore, keys: Keys, report: Report, gone = new Set<number>()): Promise<Set<number>> {
  for await (const kv of scan(store, keys.section('gone'))) {
    const parts = keys.parse('gone', kv.key)
    if (!parts || parts.rest !== '') report({ kind: 'bad-key', key: kv.key.toString(), detail: 'not a gone/<ino> marker' })
    else gone.add(parts.ino)
  }
  return gone
}

/** checkGone checks each marker against its inode. */
export function checkGone(gone: Set<number>, inodes: Map<number, Inode>, keys: Keys, report: Report): void {
  for (const ino of gone) {
    const key = keys.gone(ino)
    const inode = inodes.get(ino)
    if (!inode) report({ kind: 'gone-dangling', key, ino, detail: `marker of inode ${ino}, which does not exist` })
    else if (inode.nlink > 0) report({ kind: 'gone-linked', key, ino, detail: `marker of inode ${ino}, which still has ${inode.nlink} link(s)` })
  }
}
