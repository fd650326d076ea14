// When the kernel may keep a file's cached pages across an open (FOPEN_KEEP_CACHE), for the
// low-level binding. Close-to-open between mounts: an open must see what the last close
// anywhere committed. lib/fs reads the inode afresh at every open, so the kernel's pages are
// kept only when that fresh inode is the one this mount saw at the previous open (same mtime,
// ctime and size, which every data commit and truncate of any mount moves) and nothing was
// written or changed through this mount since; otherwise the open drops them, as every open
// did before. Only an open of an inode no handle of this mount holds records what it saw:
// while another handle is open, reads may still bring in pages of an older version.
import type { Attr } from '../fs/types'

/** version names a file's contents as far as the inode shows them */
const version = (a: Attr) => `${a.mtime.sec}.${a.mtime.nsec}/${a.ctime.sec}.${a.ctime.nsec}/${a.size}`

export class PageCache {
  /** what an open saw of each inode whose pages the kernel may hold, as of that open */
  private readonly seen = new Map<number, string>()
  /** handles of this mount open on each inode */
  private readonly open = new Map<number, number>()

  /**
   * opened records an open (or create) of inode ino with its fresh attributes; returns whether
   * the kernel may keep its cached pages (never for a create: keep is false)
   */
  opened(ino: number, attr: Attr, keep: boolean): boolean {
    const others = this.open.get(ino) ?? 0
    this.open.set(ino, others + 1)
    if (others > 0) {
      this.seen.delete(ino)
      return false
    }
    const v = version(attr)
    const same = this.seen.get(ino) === v
    this.seen.set(ino, v)
    return keep && same
  }

  /** changed: this mount writes or changes inode ino (its next open drops the pages) */
  changed(ino: number): void {
    this.seen.delete(ino)
  }

  /** closed: a handle of inode ino was released */
  closed(ino: number): void {
    const left = (this.open.get(ino) ?? 1) - 1
    if (left > 0) this.open.set(ino, left)
    else this.open.delete(ino)
  }

  /** forgotten: the kernel dropped the inode, and its pages with it */
  forgotten(ino: number): void {
    this.seen.delete(ino)
  }
}
