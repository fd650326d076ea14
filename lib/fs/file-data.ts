// The data path of open files (DESIGN §5): writes collect in the file's WriteBuffer; whole
// blocks are sealed as they fill, everything on flush, fsync and release. Sealing writes the
// blobs first and commits the extents, size and mtime in one transaction second, so a crash
// leaves at most unreferenced blobs. Reads go extents -> blobs (cache, nearest pool, hash
// verified) and then overlay what this mount has not committed yet.
import { chunkSpans, overlay, pieces, truncate as truncateExtents, type Extent } from '../data/extent'
import type { BlobStore } from '../data/blob-store'
import type { Block } from '../data/write-buffer'
import { EFBIG } from '../errors'
import type { MetaStore } from '../meta/store'
import { decodeInode, encodeInode, type Inode } from './inode'
import type { OpenFile } from './open-file'
import type { Keys, Settings } from './schema'
import { transact, type Tx } from './tx'

/** seal whole blocks once this many bytes are dirty, so memory stays bounded while a big file streams in */
const SEAL_AT_BLOCKS = 4
/** a chunk with this many extents is rewritten as whole blocks */
const COMPACT_AT = 200
const MAX_FILE_SIZE = 2 ** 50

export class FileData {
  private readonly blockSize: number
  private readonly chunkSize: number

  constructor(
    private readonly store: MetaStore,
    private readonly keys: Keys,
    private readonly blobs: BlobStore,
    settings: Settings,
  ) {
    this.blockSize = settings.blockSize
    this.chunkSize = settings.chunkSize
  }

  async write(file: OpenFile, offset: number, buf: Buffer): Promise<void> {
    if (offset + buf.length > MAX_FILE_SIZE) throw EFBIG(`write past ${MAX_FILE_SIZE} bytes`)
    file.dirty.write(offset, buf)
    file.size = Math.max(file.size, offset + buf.length)
    file.writtenMs = Date.now()
    if (file.dirty.dirtyBytes >= SEAL_AT_BLOCKS * this.blockSize) {
      await file.serial(() => this.seal(file, file.dirty.takeFullBlocks(this.blockSize, this.chunkSize)))
    }
  }

  /** commit seals every dirty byte of the file */
  async commit(file: OpenFile): Promise<void> {
    await file.serial(() => this.seal(file, file.dirty.takeBlocks(this.blockSize, this.chunkSize)))
  }

  private async seal(file: OpenFile, blocks: Block[]): Promise<void> {
    if (blocks.length === 0) return
    file.inflight.push(...blocks)
    try {
      const ids = await Promise.all(blocks.map(b => this.blobs.put(b.data)))
      const mtime = file.writtenMs || Date.now()
      const layouts = await transact(this.store, 'write', async tx => {
        const [raw] = await tx.get(this.keys.inode(file.ino))
        if (!raw) return new Map<number, Extent[]>() // removed meanwhile: nothing to keep
        const i = decodeInode(raw)
        const layouts = new Map<number, Extent[]>()
        for (const [n, b] of blocks.entries()) {
          for (const span of chunkSpans(b.offset, b.data.length, this.chunkSize)) {
            const extents = layouts.get(span.chunk) ?? await this.readChunk(tx, file.ino, span.chunk)
            layouts.set(span.chunk, overlay(extents, { off: span.off, len: span.len, blob: ids[n], boff: span.pos }))
          }
          i.size = Math.max(i.size, b.offset + b.data.length)
        }
        for (const [chunk, extents] of layouts) tx.put(this.keys.chunk(file.ino, chunk), JSON.stringify(extents))
        i.mtimeMs = i.ctimeMs = mtime
        tx.put(this.keys.inode(file.ino), encodeInode(i))
        return layouts
      })
      for (const [chunk, extents] of layouts) file.chunks.set(chunk, extents)
    } finally {
      file.inflight = file.inflight.filter(b => !blocks.includes(b))
    }
    for (const [chunk, extents] of file.chunks) {
      if (extents.length >= COMPACT_AT) await this.compact(file, chunk)
    }
  }

  /**
   * compact rewrites a fragmented chunk as whole aligned blocks (all-zero blocks become holes).
   * The new layout is committed only if the chunk has not changed since it was read; the old
   * blobs are left to GC.
   */
  private async compact(file: OpenFile, chunk: number): Promise<void> {
    const key = this.keys.chunk(file.ino, chunk)
    const layout = await transact(this.store, 'compact', async tx => {
      const [rawInode, rawChunk] = await tx.get(this.keys.inode(file.ino), key)
      if (!rawInode || !rawChunk) return undefined
      const extents = JSON.parse(rawChunk.toString()) as Extent[]
      const end = Math.min(this.chunkSize, decodeInode(rawInode).size - chunk * this.chunkSize)
      if (extents.length < COMPACT_AT || end <= 0) return undefined
      const data = Buffer.alloc(end)
      for (const p of pieces(extents, 0, end)) {
        if (p.blob !== null) (await this.blobs.read(p.blob, p.boff, p.len)).copy(data, p.off)
      }
      const compacted: Extent[] = []
      const zeros = Buffer.alloc(this.blockSize)
      for (let off = 0; off < end; off += this.blockSize) {
        const block = data.subarray(off, Math.min(end, off + this.blockSize))
        if (block.equals(zeros.subarray(0, block.length))) continue
        compacted.push({ off, len: block.length, blob: await this.blobs.put(Buffer.from(block)), boff: 0 })
      }
      tx.put(key, JSON.stringify(compacted))
      return compacted
    })
    if (layout) file.chunks.set(chunk, layout)
  }

  private async readChunk(tx: Tx, ino: number, chunk: number): Promise<Extent[]> {
    const [raw] = await tx.get(this.keys.chunk(ino, chunk))
    return raw ? (JSON.parse(raw.toString()) as Extent[]) : []
  }

  private async chunk(file: OpenFile, chunk: number): Promise<Extent[]> {
    let extents = file.chunks.get(chunk)
    if (!extents) {
      const { kv } = await this.store.get(this.keys.chunk(file.ino, chunk))
      extents = kv ? (JSON.parse(kv.value.toString()) as Extent[]) : []
      file.chunks.set(chunk, extents)
    }
    return extents
  }

  async read(file: OpenFile, offset: number, length: number): Promise<Buffer> {
    const len = Math.max(0, Math.min(length, file.size - offset))
    const buf = Buffer.alloc(len)
    await Promise.all(chunkSpans(offset, len, this.chunkSize).map(async span => {
      const extents = await this.chunk(file, span.chunk)
      await Promise.all(pieces(extents, span.off, span.len).map(async p => {
        if (p.blob === null) return // a hole reads as zeros
        const data = await this.blobs.read(p.blob, p.boff, p.len)
        data.copy(buf, span.pos + (p.off - span.off))
      }))
    }))
    file.overlayDirty(offset, buf)
    return buf
  }

  /** truncate cuts or extends the committed layout of inode i to size, inside tx */
  async truncate(tx: Tx, i: Inode, size: number): Promise<void> {
    if (size >= i.size) return
    const { kvs } = await this.store.range(this.keys.chunks(i.ino))
    const keep = Math.ceil(size / this.chunkSize)
    for (const kv of kvs) {
      const chunk = parseInt(kv.key.toString().slice(-8), 16)
      const key = this.keys.chunk(i.ino, chunk)
      if (chunk >= keep) {
        tx.delete(key)
      } else if (chunk === keep - 1 && size % this.chunkSize !== 0) {
        const extents = await this.readChunk(tx, i.ino, chunk)
        tx.put(key, JSON.stringify(truncateExtents(extents, size % this.chunkSize)))
      }
    }
  }

  /** truncated brings an open file's view in line after a truncate committed */
  truncated(file: OpenFile, size: number): void {
    file.dirty.truncate(size)
    file.inflight = file.inflight.filter(b => b.offset < size)
    file.size = size
    file.chunks.clear()
  }
}
