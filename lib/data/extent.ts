// A file is cut into chunks of chunkSize bytes. A chunk's layout is a sorted, non-overlapping
// list of extents; each maps the chunk bytes [off, off+len) to the blob bytes [boff, boff+len).
// Bytes no extent covers are holes and read as zeros.
// The functions here are pure: they return new lists and never modify an extent they are given.

/** CHUNK_SIZE is the default chunk size, 64 MiB. */
export const CHUNK_SIZE = 64 * 1024 * 1024

export interface Extent {
  /** offset within the chunk */
  off: number
  len: number
  blob: string
  /** offset within the blob */
  boff: number
}

/** A Piece is a run of chunk bytes read from one blob, or a hole (blob null) read as zeros. */
export interface Piece {
  off: number
  len: number
  blob: string | null
  boff: number
}

/** A ChunkSpan is the part of a file range that falls in one chunk. */
export interface ChunkSpan {
  chunk: number
  /** offset within the chunk */
  off: number
  len: number
  /** offset into the caller's buffer */
  pos: number
}

/** overlay returns extents with add laid on top: add shadows the bytes it covers. */
export function overlay(extents: Extent[], add: Extent): Extent[] {
  if (add.len <= 0) return extents.slice()
  const addEnd = add.off + add.len
  const before: Extent[] = []
  const after: Extent[] = []
  for (const e of extents) {
    const end = e.off + e.len
    if (end <= add.off) before.push(e)
    else if (e.off >= addEnd) after.push(e)
    else {
      // e overlaps add: keep what sticks out on either side
      if (e.off < add.off) before.push({ ...e, len: add.off - e.off })
      if (end > addEnd) after.push({ ...e, off: addEnd, len: end - addEnd, boff: e.boff + (addEnd - e.off) })
    }
  }
  return mergeContiguous([...before, { ...add }, ...after])
}

/** truncate returns the extents of the bytes below size (chunk-relative). */
export function truncate(extents: Extent[], size: number): Extent[] {
  const kept: Extent[] = []
  for (const e of extents) {
    if (e.off >= size) break
    kept.push(e.off + e.len > size ? { ...e, len: size - e.off } : e)
  }
  return kept
}

/** pieces covers exactly [off, off+len) in order: blob pieces, and holes with blob null. */
export function pieces(extents: Extent[], off: number, len: number): Piece[] {
  const end = off + len
  const out: Piece[] = []
  let pos = off
  for (let i = firstEndingAfter(extents, off); i < extents.length && pos < end; i++) {
    const e = extents[i]
    if (e.off >= end) break
    if (e.off > pos) {
      out.push({ off: pos, len: e.off - pos, blob: null, boff: 0 })
      pos = e.off
    }
    const stop = Math.min(end, e.off + e.len)
    out.push({ off: pos, len: stop - pos, blob: e.blob, boff: e.boff + (pos - e.off) })
    pos = stop
  }
  if (pos < end) out.push({ off: pos, len: end - pos, blob: null, boff: 0 })
  return out
}

/** chunkSpans splits the file range [fileOffset, fileOffset+length) into per-chunk spans. */
export function chunkSpans(fileOffset: number, length: number, chunkSize = CHUNK_SIZE): ChunkSpan[] {
  const spans: ChunkSpan[] = []
  for (let pos = 0; pos < length; ) {
    const at = fileOffset + pos
    const chunk = Math.floor(at / chunkSize)
    const off = at - chunk * chunkSize
    const len = Math.min(chunkSize - off, length - pos)
    spans.push({ chunk, off, len, pos })
    pos += len
  }
  return spans
}

/** blobsOf lists the distinct blob ids extents reference, in order of first use. */
export function blobsOf(extents: Extent[]): string[] {
  return [...new Set(extents.map(e => e.blob))]
}

/** firstEndingAfter is the index of the first extent that ends after pos (binary search). */
function firstEndingAfter(extents: Extent[], pos: number): number {
  let lo = 0
  let hi = extents.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (extents[mid].off + extents[mid].len > pos) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** mergeContiguous joins neighbours that continue each other in the same blob. */
function mergeContiguous(extents: Extent[]): Extent[] {
  const merged: Extent[] = []
  for (const e of extents) {
    const last = merged[merged.length - 1]
    if (last && last.blob === e.blob && last.off + last.len === e.off && last.boff + last.len === e.boff) {
      merged[merged.length - 1] = { ...last, len: last.len + e.len }
    } else {
      merged.push(e)
    }
  }
  return merged
}
