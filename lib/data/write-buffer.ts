// WriteBuffer holds the dirty bytes of one open file until they are sealed into blobs.
// The bytes live in a sorted list of non-overlapping spans, each a private copy of one write
// (or what is left of it). Spans that touch form one dirty range; they are joined only when
// read or taken, so a long sequential stream costs one copy per write, never a re-copy of
// everything buffered so far.
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

export class WriteBuffer {
  private spans: DirtyRange[] = []
  private bytes = 0

  /** write records a copy of data at offset; it shadows earlier writes it overlaps. */
  write(offset: number, data: Buffer): void {
    checkWhole('offset', offset, 0)
    if (data.length === 0) return
    const at = this.clear(offset, offset + data.length)
    this.spans.splice(at, 0, { off: offset, data: Buffer.from(data) })
    this.bytes += data.length
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
    if (parts.length > 0) blocks.push({ offset: start, data: parts.length === 1 ? parts[0] : Buffer.concat(parts) })
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
    if (group.length > 0) {
      const data = group.length === 1 ? group[0].data : Buffer.concat(group.map(v => v.data))
      joined.push({ off: group[0].off, data })
    }
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
