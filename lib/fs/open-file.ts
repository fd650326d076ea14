// The state one mount keeps for an inode that has open handles: dirty data not yet sealed
// into blobs, blocks being sealed, the chunk layouts read at open (close-to-open), and the
// size this mount sees. Reads overlay: committed extents, then blocks in flight, then dirty data.
import { WriteBuffer } from '../data/write-buffer'
import type { Block } from '../data/write-buffer'
import type { Extent } from '../data/extent'

export class OpenFile {
  handles = 0
  /** no names left: the inode goes when the last handle closes */
  gone = false
  readonly dirty = new WriteBuffer()
  /** blocks taken from `dirty` whose blobs are being written and whose extents are not committed yet */
  inflight: Block[] = []
  /** chunk index -> extents, as committed (loaded lazily, refreshed at open) */
  readonly chunks = new Map<number, Extent[]>()
  /** size as this mount sees it, dirty data included */
  size = 0
  /** time of the last write not yet committed, for mtime */
  writtenMs = 0
  private queue: Promise<unknown> = Promise.resolve()

  constructor(readonly ino: number) {}

  /** serial runs fn after every earlier serial fn of this file has finished (commits never overlap) */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  /** overlayDirty copies blocks in flight and dirty bytes over buf, which holds [offset, offset+buf.length) */
  overlayDirty(offset: number, buf: Buffer): void {
    const end = offset + buf.length
    for (const b of this.inflight) {
      const from = Math.max(offset, b.offset)
      const to = Math.min(end, b.offset + b.data.length)
      if (from < to) b.data.copy(buf, from - offset, from - b.offset, to - b.offset)
    }
    for (const d of this.dirty.read(offset, buf.length)) d.data.copy(buf, d.off - offset)
  }
}
