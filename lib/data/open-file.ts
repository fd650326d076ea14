// The data state one mount keeps for a file it has open: dirty data not yet sealed into
// blobs, blocks being sealed, the chunk layouts read at open (close-to-open), and the size
// this mount sees. Reads overlay: committed extents, then blocks in flight, then dirty data.
import type { Extent } from './extent'
import { WriteBuffer, type Block, type DirtyRange } from './write-buffer'

export class OpenFile {
  readonly dirty = new WriteBuffer()
  /** blocks taken from `dirty` whose blobs are being written and whose extents are not committed yet */
  inflight: Block[] = []
  /** seals running in the background, oldest first; each settles (never rejects) once it is committed or failed */
  readonly sealing: Array<Promise<void>> = []
  /** chunk index -> extents, as committed (loaded lazily, refreshed at open) */
  readonly chunks = new Map<number, Extent[]>()
  /** size as this mount sees it, dirty data included */
  size = 0
  /** time of the last write not yet committed, for mtime */
  writtenMs = 0
  /** where the last read ended: a read starting there is sequential */
  readEnd = 0
  /** how far read-ahead has asked for blobs */
  readAheadEnd = 0
  /** the path the file was last opened by, as far as the mount knows: its blocks go where that path's policy says */
  path: string | undefined
  /** the first background seal failure not reported yet */
  private sealError: { err: unknown } | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor(readonly ino: number) {}

  /** serial runs fn after every earlier serial fn of this file has finished (commits never overlap) */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  /** inflightBytes is how many bytes are being sealed */
  get inflightBytes(): number {
    return this.inflight.reduce((sum, b) => sum + b.data.length, 0)
  }

  /** sealFailed keeps the first failure of a background seal, for the next write or commit to report */
  sealFailed(err: unknown): void {
    this.sealError ??= { err }
  }

  /** raiseSealError throws a failed background seal's error once, as the kernel reports a writeback error */
  raiseSealError(): void {
    const failed = this.sealError
    this.sealError = undefined
    if (failed) throw failed.err
  }

  /**
   * uncommitted lists what this mount holds but has not committed within [offset, offset+length):
   * blocks in flight, then dirty data (later entries win). Take it before reading committed
   * extents: a block that commits meanwhile leaves `inflight`, and is then in the extents.
   */
  uncommitted(offset: number, length: number): DirtyRange[] {
    const end = offset + length
    const ranges: DirtyRange[] = []
    for (const b of this.inflight) {
      const from = Math.max(offset, b.offset)
      const to = Math.min(end, b.offset + b.data.length)
      if (from < to) ranges.push({ off: from, data: b.data.subarray(from - b.offset, to - b.offset) })
    }
    ranges.push(...this.dirty.read(offset, length))
    return ranges
  }
}
