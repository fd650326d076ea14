// WriteBuffer holds the dirty bytes of one open file until they are sealed into blobs.
// The bytes live in a sorted list of non-overlapping spans, each a private copy of one write
// (or what is left of it). Spans that touch form one dirty range; they are joined only when
// read or taken, so a long sequential stream costs one copy per write, never a re-copy of
// everything buffered so far. Given the block size, a stream's writes are copied back to back
// into block-sized buffers (arenas), so the blocks it fills are taken without copying again.
import { EINVAL } from '../errors'
import { CHUNK_SIZE } from './extent'

/** A DirtyRange is contiguous dirty bytes starting at file offset off. */
export interface DirtyRange {
  off: number
  data: Buffer
}

/** A Block is dirty data taken out to be sealed as one blob. */
export interface Block {
  offset: number
  data: Buffer
}

/**
 * An Arena is a block-sized buffer a stream is copied into. Its bytes below file offset
 * `filled` may be held by spans, blocks and cached blobs, so only those above are ever written.
 */
interface Arena {
  /** the file offset of buf[0], a multiple of the block size */
  start: number
  buf: Buffer
  filled: number
}

export class WriteBuffer {
  private spans: DirtyRange[] = []
  private bytes = 0
  /** the run of back-to-back writes the last write belongs to: it tells a stream from scattered writes */
  private readonly run = { start: 0, end: 0 }
  private arena: Arena | undefined

  /**
   * write records a copy of data at offset; it shadows earlier writes it overlaps. With a
   * blockSize, writes continuing a stream that has filled a whole block already are copied
   * into arenas of that size.
   */
  write(offset: number, data: Buffer, blockSize = 0): void {
    checkWhole('offset', offset, 0)
    checkWhole('blockSize', blockSize, 0)
    if (data.length === 0) return
    if (offset !== this.run.end) this.run.start = offset
    this.run.end = offset + data.length
    const at = this.clear(offset, offset + data.length)
    this.spans.splice(at, 0, ...(blockSize > 0 ? this.packed(offset, data, blockSize) : [{ off: offset, data: Buffer.from(data) }]))
    this.bytes += data.length
  }

  /** packed copies data cut at block boundaries, each piece into an arena where pack takes it, else on its own */
  private packed(offset: number, data: Buffer, blockSize: number): DirtyRange[] {
    const copies: DirtyRange[] = []
    for (let pos = 0; pos < data.length; ) {
      const off = offset + pos
      const piece = data.subarray(pos, pos + nextMultiple(off, blockSize) - off)
      copies.push({ off, data: this.pack(off, piece, blockSize) ?? Buffer.from(piece) })
      pos += piece.length
    }
    return copies
  }

  /**
   * pack copies piece (which crosses no block boundary) into the arena where it continues it,
   * or into a new arena when it starts a block after a whole block of the same run; it returns
   * the copy, or undefined for a piece to copy on its own (an arena per scattered write would
   * hold a block of memory for a few bytes).
   */
  private pack(off: number, piece: Buffer, blockSize: number): Buffer | undefined {
    let arena = this.arena
    if (!arena || off !== arena.filled || off === arena.start + arena.buf.length) {
      if (off % blockSize !== 0 || off - this.run.start < blockSize) return undefined
      arena = this.arena = { start: off, buf: Buffer.allocUnsafe(blockSize), filled: off }
    }
    const at = off - arena.start
    piece.copy(arena.buf, at)
    arena.filled += piece.length
    return arena.buf.subarray(at, at + piece.length)
  }

  /** read returns the dirty bytes within [offset, offset+length), one entry per contiguous run; treat them as read-only. */
  read(offset: number, length: number): DirtyRange[] {
    return joinTouching(this.within(offset, offset + length))
  }

  /** dirtyBytes is how many bytes are dirty. */
  get dirtyBytes(): number {
    return this.bytes
  }

  /** end is the highest dirty offset plus one, 0 when nothing is dirty. */
  get end(): number {
    const last = this.spans[this.spans.length - 1]
    return last ? last.off + last.data.length : 0
  }

  /** isEmpty tells whether nothing is dirty. */
  isEmpty(): boolean {
    return this.spans.length === 0
  }

  /** truncate drops the dirty bytes at or above size. */
  truncate(size: number): void {
    checkWhole('size', size, 0)
    this.clear(size, Infinity)
  }

  /** takeBlocks removes all dirty data and returns it cut into blocks of at most blockSize that cross no chunk boundary. */
  takeBlocks(blockSize: number, chunkSize = CHUNK_SIZE): Block[] {
    checkBlockSizes(blockSize, chunkSize)
    const blocks = cutBlocks(this.spans, blockSize, chunkSize)
    this.spans = []
    this.bytes = 0
    return blocks
  }

  /** takeFullBlocks removes and returns only the aligned blocks that are wholly dirty; the rest stays. */
  takeFullBlocks(blockSize: number, chunkSize = CHUNK_SIZE): Block[] {
    checkBlockSizes(blockSize, chunkSize)
    const blocks: Block[] = []
    for (const run of this.runs()) {
      const from = Math.ceil(run.from / blockSize) * blockSize
      const to = Math.floor(run.to / blockSize) * blockSize
      if (from >= to) continue
      for (const block of cutBlocks(this.within(from, to), blockSize, chunkSize)) blocks.push(block)
      this.clear(from, to)
    }
    return blocks
  }

  /** clear drops the dirty bytes in [from, to) and returns the index where a span starting at from belongs. */
  private clear(from: number, to: number): number {
    const first = this.firstEndingAfter(from)
    const kept: DirtyRange[] = []
    let last = first
    for (; last < this.spans.length && this.spans[last].off < to; last++) {
      const { off, data } = this.spans[last]
      const end = off + data.length
      if (off < from) kept.push({ off, data: data.subarray(0, from - off) })
      if (end > to) kept.push({ off: to, data: data.subarray(to - off) })
      this.bytes -= Math.min(end, to) - Math.max(off, from)
    }
    this.spans.splice(first, last - first, ...kept)
    return kept.length > 0 && kept[0].off < from ? first + 1 : first
  }

  /** within lists views of the dirty bytes in [from, to), in order. */
  private within(from: number, to: number): DirtyRange[] {
    const views: DirtyRange[] = []
    for (let i = this.firstEndingAfter(from); i < this.spans.length && this.spans[i].off < to; i++) {
      const { off, data } = this.spans[i]
      const start = Math.max(off, from)
      views.push({ off: start, data: data.subarray(start - off, Math.min(data.length, to - off)) })
    }
    return views
  }

  /** runs lists the extents [from, to) of contiguous dirty bytes, computed before anything is removed. */
  private runs(): Array<{ from: number; to: number }> {
    const runs: Array<{ from: number; to: number }> = []
    for (const { off, data } of this.spans) {
      const last = runs[runs.length - 1]
      if (last && last.to === off) last.to += data.length
      else runs.push({ from: off, to: off + data.length })
    }
    return runs
  }

  private firstEndingAfter(pos: number): number {
    let lo = 0
    let hi = this.spans.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const span = this.spans[mid]
      if (span.off + span.data.length > pos) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

/**
 * cutBlocks cuts sorted spans into blocks at every multiple of blockSize and of chunkSize, and
 * wherever the data has a gap. Cutting at fixed file offsets, not where writes happened to
 * start, gives the same blocks (so the same blob ids) however the file was written.
 */
function cutBlocks(spans: DirtyRange[], blockSize: number, chunkSize: number): Block[] {
  const blocks: Block[] = []
  let parts: Buffer[] = []
  let start = 0
  let end = -1
  const seal = () => {
    if (parts.length > 0) blocks.push({ offset: start, data: ownMemory(join(parts)) })
    parts = []
  }
  for (const { off, data } of spans) {
    for (let pos = off; pos < off + data.length; ) {
      if (pos !== end || pos % blockSize === 0 || pos % chunkSize === 0) {
        seal()
        start = pos
      }
      const boundary = Math.min(nextMultiple(pos, blockSize), nextMultiple(pos, chunkSize))
      const stop = Math.min(off + data.length, boundary)
      parts.push(data.subarray(pos - off, stop - off))
      pos = end = stop
    }
  }
  seal()
  return blocks
}

/** joinTouching merges views that continue each other into single buffers. */
function joinTouching(views: DirtyRange[]): DirtyRange[] {
  const joined: DirtyRange[] = []
  let group: DirtyRange[] = []
  const flush = () => {
    if (group.length > 0) joined.push({ off: group[0].off, data: join(group.map(v => v.data)) })
    group = []
  }
  for (const view of views) {
    const last = group[group.length - 1]
    if (last && last.off + last.data.length !== view.off) flush()
    group.push(view)
  }
  flush()
  return joined
}

/** join returns parts as one buffer: a view when they lie back to back in memory (an arena), else a copy. */
function join(parts: Buffer[]): Buffer {
  const first = parts[0]
  let end = first.byteOffset
  for (const p of parts) {
    if (p.buffer !== first.buffer || p.byteOffset !== end) return Buffer.concat(parts)
    end += p.length
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset)
}

/**
 * ownMemory copies a block that is a small view of a large allocation (a partly filled arena,
 * a piece of a large write): the block may be cached as a blob, and must not keep the rest
 * alive. Node's small-buffer pool slabs are left alone: a copy would land in one again.
 */
function ownMemory(data: Buffer): Buffer {
  const held = data.buffer.byteLength
  return held > Buffer.poolSize && held > 2 * data.length ? Buffer.from(data) : data
}

function nextMultiple(pos: number, size: number): number {
  return (Math.floor(pos / size) + 1) * size
}

function checkBlockSizes(blockSize: number, chunkSize: number): void {
  checkWhole('blockSize', blockSize, 1)
  checkWhole('chunkSize', chunkSize, 1)
}

function checkWhole(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw EINVAL(`${name} must be a whole number of at least ${min}, not ${value}`)
}
