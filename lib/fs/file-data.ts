// The data path of open files (DESIGN §5): writes collect in the file's WriteBuffer; whole
// blocks are sealed in the background as they fill (a write waits only when the file holds
// too much unsealed data), everything on flush, fsync and release, which also report a failed
// background seal. Sealing writes the blobs first and commits the extents, size and mtime in
// one transaction second, so a crash leaves at most unreferenced blobs. Reads go extents ->
// blobs (cache, nearest pool, hash verified), then overlay what this mount has not committed
// yet; sequential reads fetch the next blocks' blobs ahead.
import { chunkSpans, overlay, pieces, truncate as truncateExtents, type Extent, type Piece } from '../data/extent'
import type { BlobStore } from '../data/blob-store'
import type { InodeCache } from './inode-cache'
import type { Block } from '../data/write-buffer'
import { EFBIG } from '../errors'
import type { MetaStore } from '../meta/store'
import { decodeInode, encodeInode, type Inode } from './inode'
import type { OpenFile } from './open-file'
import type { Keys, Settings } from './schema'
import { transact, type Tx } from './tx'

/** seal whole blocks once this many bytes are dirty, so memory stays bounded while a big file streams in */
const SEAL_AT_BLOCKS = 4
/** a write waits while this many SEAL_AT_BLOCKS batches are dirty or being sealed: the memory bound per open file */
const BUFFERED_BATCHES = 3
/** how many blocks past a sequential read have their blobs fetched ahead */
const READ_AHEAD_BLOCKS = 4
/** a chunk with this many extents is rewritten as whole blocks */
const COMPACT_AT = 200
const MAX_FILE_SIZE = 2 ** 50

export class FileData {
  private readonly blockSize: number
  private readonly chunkSize: number
  /** the most bytes an open file holds dirty or being sealed before its writes wait */
  private readonly maxBuffered: number

  constructor(
    private readonly store: MetaStore,
    private readonly keys: Keys,
    private readonly blobs: BlobStore,
    private readonly inodes: InodeCache,
    settings: Settings,
  ) {
    this.blockSize = settings.blockSize
    this.chunkSize = settings.chunkSize
    this.maxBuffered = BUFFERED_BATCHES * SEAL_AT_BLOCKS * this.blockSize
  }

  /**
   * write buffers buf (copied before the returned promise settles, so the caller may reuse it
   * after) and starts sealing whole blocks in the background once enough are dirty. It waits
   * only while the file's buffered bytes are over maxBuffered, so receiving writes and
   * persisting earlier ones overlap.
   */
  async write(file: OpenFile, offset: number, buf: Buffer): Promise<void> {
    if (offset + buf.length > MAX_FILE_SIZE) throw EFBIG(`write past ${MAX_FILE_SIZE} bytes`)
    await this.makeRoom(file, buf.length)
    file.raiseSealError()
    file.dirty.write(offset, buf, this.blockSize)
    file.size = Math.max(file.size, offset + buf.length)
    file.writtenMs = Date.now()
    if (file.dirty.dirtyBytes >= SEAL_AT_BLOCKS * this.blockSize) {
      this.sealInBackground(file, file.dirty.takeFullBlocks(this.blockSize, this.chunkSize))
    }
  }

  /** commit seals every dirty byte of the file, after every seal started before; it reports a failed background seal */
  async commit(file: OpenFile): Promise<void> {
    await this.seal(file, file.dirty.takeBlocks(this.blockSize, this.chunkSize))
    file.raiseSealError()
  }

  /** sync makes every blob sealed so far durable in its pools */
  async sync(): Promise<void> {
    await this.blobs.sync()
  }

  /**
   * settle waits until every seal started so far has committed or failed (a failure stays for
   * the next write or commit to report). A truncate settles first: a seal committing after it
   * would put back the extents it cut.
   */
  async settle(file: OpenFile): Promise<void> {
    await file.serial(async () => undefined)
  }

  /**
   * makeRoom waits, oldest seal first, until incoming more bytes fit under maxBuffered. Dirty
   * data with no whole block to seal (scattered writes) is sealed as it is when nothing else
   * would make room; a single write larger than the bound is let in.
   */
  private async makeRoom(file: OpenFile, incoming: number): Promise<void> {
    while (file.dirty.dirtyBytes + file.inflightBytes + incoming > this.maxBuffered) {
      if (file.sealing.length === 0) {
        if (file.dirty.isEmpty()) return
        this.sealInBackground(file, file.dirty.takeBlocks(this.blockSize, this.chunkSize))
      }
      await file.sealing[0]
    }
  }

  /** sealInBackground seals blocks without waiting; a failure is kept for the file's next write or commit */
  private sealInBackground(file: OpenFile, blocks: Block[]): void {
    if (blocks.length === 0) return
    const sealed = this.seal(file, blocks).catch((err: unknown) => file.sealFailed(err))
    file.sealing.push(sealed)
    void sealed.then(() => file.sealing.splice(file.sealing.indexOf(sealed), 1))
  }

  /**
   * seal writes the blocks' blobs at once, overlapping earlier seals of the file, and commits
   * their extents in its turn (file.serial), so layouts change in the order the data was taken.
   * The blocks stay readable in file.inflight until their extents are committed.
   */
  private seal(file: OpenFile, blocks: Block[]): Promise<void> {
    file.inflight.push(...blocks)
    const ids = Promise.all(blocks.map(b => this.blobs.put(b.data)))
    // awaited in its turn below; until then a failure must not count as unhandled
    ids.catch(() => undefined)
    return file.serial(async () => {
      if (blocks.length === 0) return
      try {
        await this.commitBlocks(file, blocks, await ids)
      } finally {
        file.inflight = file.inflight.filter(b => !blocks.includes(b))
      }
      for (const [chunk, extents] of file.chunks) {
        if (extents.length >= COMPACT_AT) await this.compact(file, chunk)
      }
    })
  }

  /**
   * commitBlocks lays the sealed blocks (blob ids[n] holds blocks[n]) over the committed layout,
   * with size and mtime. One read at most: the inode may come from the cache (guarded by its
   * revision), and chunks at or past its size hold nothing (truncate removes them, and every
   * write that makes one also grows the size), so only the others are read, together.
   */
  private async commitBlocks(file: OpenFile, blocks: Block[], ids: string[]): Promise<void> {
    const mtime = file.writtenMs || Date.now()
    const spans = blocks.map(b => chunkSpans(b.offset, b.data.length, this.chunkSize))
    const layouts = await transact(this.store, 'write', async tx => {
      let i: Inode
      try {
        i = await this.inodes.readAssuming(tx, file.ino)
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return new Map<number, Extent[]>() // removed meanwhile: nothing to keep
        throw err
      }
      const touched = [...new Set(spans.flat().map(span => span.chunk))]
      const stored = touched.filter(chunk => chunk * this.chunkSize < i.size)
      const raws = stored.length > 0 ? await tx.get(...stored.map(chunk => this.keys.chunk(file.ino, chunk))) : []
      const layouts = new Map<number, Extent[]>(touched.map(chunk => [chunk, []]))
      stored.forEach((chunk, n) => { if (raws[n]) layouts.set(chunk, JSON.parse(raws[n].toString()) as Extent[]) })
      for (const [n, b] of blocks.entries()) {
        for (const span of spans[n]) {
          layouts.set(span.chunk, overlay(layouts.get(span.chunk)!, { off: span.off, len: span.len, blob: ids[n], boff: span.pos }))
        }
        i.size = Math.max(i.size, b.offset + b.data.length)
      }
      for (const [chunk, extents] of layouts) tx.put(this.keys.chunk(file.ino, chunk), JSON.stringify(extents))
      i.mtimeMs = i.ctimeMs = mtime
      tx.put(this.keys.inode(file.ino), encodeInode(i))
      return layouts
    })
    for (const [chunk, extents] of layouts) file.chunks.set(chunk, extents)
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

  /** preload takes a chunk's layout read elsewhere (raw: the chunk key's value, null when absent) */
  preload(file: OpenFile, chunk: number, raw: Buffer | null): void {
    file.chunks.set(chunk, raw ? (JSON.parse(raw.toString()) as Extent[]) : [])
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

  /**
   * read returns the bytes of [offset, offset+length) this mount sees, short at the end of the
   * file; treat the result as read-only (it may be a view of a cached blob).
   */
  async read(file: OpenFile, offset: number, length: number): Promise<Buffer> {
    const len = Math.max(0, Math.min(length, file.size - offset))
    const uncommitted = file.uncommitted(offset, len) // first: see OpenFile.uncommitted
    this.readAhead(file, offset, len)
    const parts = await this.committed(file, offset, len)
    // one blob covers it all and nothing overlays it: hand out the blob's bytes uncopied
    if (uncommitted.length === 0 && parts.length === 1 && parts[0].blob !== null) {
      return this.blobs.read(parts[0].blob, parts[0].boff, len)
    }
    const buf = Buffer.alloc(len)
    await Promise.all(parts.map(async p => {
      if (p.blob !== null) (await this.blobs.read(p.blob, p.boff, p.len)).copy(buf, p.off - offset)
    }))
    for (const r of uncommitted) r.data.copy(buf, r.off - offset)
    return buf
  }

  /** committed lists the committed pieces of [offset, offset+len), holes (blob null) included, off as a file offset */
  private async committed(file: OpenFile, offset: number, len: number): Promise<Piece[]> {
    const perChunk = await Promise.all(chunkSpans(offset, len, this.chunkSize).map(async span => {
      const base = span.chunk * this.chunkSize
      return pieces(await this.chunk(file, span.chunk), span.off, span.len).map(p => ({ ...p, off: base + p.off }))
    }))
    return perChunk.flat()
  }

  /**
   * readAhead, when a read continues where the last one ended, starts fetching the blobs of the
   * next READ_AHEAD_BLOCKS blocks into the read cache, each once, so the pool works while the
   * kernel is served. It never holds more than that many blocks ahead of the reader.
   */
  private readAhead(file: OpenFile, offset: number, len: number): void {
    const sequential = offset === file.readEnd
    file.readEnd = offset + len
    if (!sequential) {
      file.readAheadEnd = 0
      return
    }
    const from = Math.max(file.readEnd, file.readAheadEnd)
    const to = Math.min(file.size, file.readEnd + READ_AHEAD_BLOCKS * this.blockSize)
    if (from >= to) return
    file.readAheadEnd = to
    void this.prefetch(file, from, to - from)
  }

  private async prefetch(file: OpenFile, offset: number, len: number): Promise<void> {
    try {
      for (const p of await this.committed(file, offset, len)) {
        if (p.blob !== null) this.blobs.prefetch(p.blob)
      }
    } catch {
      // read-ahead is only a hint: the read that needs the layout reports the failure
    }
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
