// The open files of one mount: per inode the shared OpenFile (dirty data, cached layout), per
// open the file handle number the kernel gets back. A handle is counted before its open is
// committed, so that a last close running meanwhile keeps the mount's open mark.
import { OpenFile } from '../data/open-file'
import { EBADF } from '../errors'
import type { Inode } from './inode'

/** An OpenInode is an inode this mount has open: its data state, and how many handles hold it */
export class OpenInode extends OpenFile {
  handles = 0
  /** no names left: the inode goes when the last handle closes */
  gone = false
}

export interface Handle {
  file: OpenInode
  flags: number
  /** this handle has taken a flock, to drop at release */
  locked?: boolean
  /** the inode as the open read it, while a read through this handle may still move its atime (atime.ts) */
  readable?: Inode
  /** something was read through this handle */
  read?: boolean
}

export class Handles {
  private readonly files = new Map<number, OpenInode>()
  private readonly handles = new Map<number, Handle>()
  private nextFh = 1

  /** file returns the inode's OpenFile if this mount has it open (or is opening it) */
  file(ino: number): OpenInode | undefined {
    return this.files.get(ino)
  }

  /** reserve counts one more handle on the inode; fresh tells whether none was open before */
  reserve(ino: number): { file: OpenInode; fresh: boolean } {
    let file = this.files.get(ino)
    if (!file) {
      file = new OpenInode(ino)
      this.files.set(ino, file)
    }
    return { file, fresh: file.handles++ === 0 }
  }

  /** unreserve takes a handle count back; the OpenFile goes with the last one */
  unreserve(file: OpenInode): void {
    if (--file.handles === 0) this.files.delete(file.ino)
  }

  /** attach gives a reserved file a handle number; a fresh one first drops what it cached (close-to-open) */
  attach(file: OpenInode, fresh: boolean, size: number, flags: number): number {
    if (fresh) {
      file.chunks.clear()
      file.size = size
    }
    const fh = this.nextFh++
    this.handles.set(fh, { file, flags })
    return fh
  }

  /** find returns an open handle, or undefined */
  find(fh: number): Handle | undefined {
    return this.handles.get(fh)
  }

  /** get returns an open handle; EBADF if there is none */
  get(fh: number): Handle {
    const h = this.handles.get(fh)
    if (!h) throw EBADF(`file handle ${fh}`)
    return h
  }

  /** detach forgets a handle number (its count stays until unreserve) */
  detach(fh: number): Handle {
    const h = this.get(fh)
    this.handles.delete(fh)
    return h
  }

  /** numbers lists the open handle numbers */
  numbers(): number[] {
    return [...this.handles.keys()]
  }
}
