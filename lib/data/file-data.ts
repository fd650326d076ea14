// The data path of open files (DESIGN §5): writes collect in the file's WriteBuffer; whole
// blocks are sealed in the background as they fill (a write waits only when the file holds
// too much unsealed data), everything on flush, fsync and release, which also report a failed
// background seal. Sealing writes the blobs first and commits the extents, size and mtime in
// one transaction second (through Layouts, which the filesystem implements), so a crash leaves
// at most unreferenced blobs; fragmented chunks are compacted here too. Reads go extents ->
// blobs (cache, nearest pool, hash verified), then overlay what this mount has not committed
// yet; sequential reads fetch the next blocks' blobs ahead. Data flows fs -> data -> drivers.
import { EFBIG } from '../errors'
import { DEFAULTS } from '../config/tunables'
import { log } from '../log'
import type { BlobStore } from './blob-store'
import { chunkSpans, pieces, type Extent, type Piece } from './extent'
import type { OpenFile } from './open-file'
import type { Block } from './write-buffer'

/** seal whole blocks once this many bytes are dirty, so memory stays bounded while a big file streams in */
const SEAL_AT_BLOCKS = 4
/** how much an open file buffers, and how far a sequential read fetches ahead (defaults: lib/config/tunables) */
export interface DataTuning {
  /** a write waits while this many SEAL_AT_BLOCKS batches are dirty or being sealed: the memory bound per open file */
  bufferedBatches?: number
  /** how many blocks past a sequential read have their blobs fetched ahead */
  readAheadBlocks?: number
}
/** a chunk with this many extents is rewritten as whole blocks */
const COMPACT_AT = 200
export const MAX_FILE_SIZE = 2 ** 50

/** A Placed block: file bytes [offset, offset+length) now held by blob */
export interface Placed {
  offset: number
  length: number
  blob: string
}

/** A ChunkSnapshot is a chunk's committed layout as read for compaction, with what guards it */
export interface ChunkSnapshot {
  ino: number
  chunk: number
  extents: Extent[]
  /** the file's size when read */
  size: number
  /** opaque: what replace compares against */
  guard: unknown
}

/**
 * Layouts is how the data path reads and commits files' chunk layouts; the filesystem
 * implements it over its metadata (lib/fs/layouts.ts), so that this layer knows no keys and
 * no transactions, and no transaction of it does blob I/O.
 */
export interface Layouts {
  /** load reads a chunk's committed layout (empty when it has none) */
  load(ino: number, chunk: number): Promise<Extent[]>
  /**
   * commit lays placed blocks over the committed layouts, with the size they imply and mtime,
   * atomically; returns the new layout of every chunk it touched (none when the file is gone)
   */
  commit(ino: number, placed: Placed[], mtimeMs: number): Promise<Map<number, Extent[]>>
  /** snapshot reads a chunk's layout and the file size for compaction; undefined when either is gone */
  snapshot(ino: number, chunk: number): Promise<ChunkSnapshot | undefined>
  /** replace commits extents as the chunk's layout if nothing guarded by snap changed; false otherwise */
  replace(snap: ChunkSnapshot, extents: Extent[]): Promise<boolean>
}

export class FileData {
  private readonly blockSize: number
  private readonly chunkSize: number
  /** the most bytes an open file holds dirty or being sealed before its writes wait */
  private readonly maxBuffered: number
  private readonly readAheadBlocks: number

  constructor(
    private readonly layouts: Layouts,
    private readonly blobs: BlobStore,
    geometry: { blockSize: number; chunkSize: number },
    tuning: DataTuning = {},
  ) {
    this.blockSize = geometry.blockSize
    this.chunkSize = geometry.chunkSize
    this.maxBuffered = (tuning.bufferedBatches ?? DEFAULTS['write-buffer-batches']) * SEAL_AT_BLOCKS * this.blockSize
    this.readAheadBlocks = tuning.readAheadBlocks ?? DEFAULTS['read-ahead-blocks']
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
    const ids = Promise.all(blocks.map(b => this.blobs.put(b.data, file.path)))
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
        if (extents.length < COMPACT_AT) continue
        // the seal's data is committed: a failed compaction must not fail it, as the failure would
        // reach the next write, perhaps the kernel's write-back of mapped pages (then EIO)
        await this.compact(file, chunk).catch((err: unknown) => log.warn({ err, ino: file.ino, chunk }, 'compaction failed; the next seal tries again'))
      }
    })
  }

  /** commitBlocks lays the sealed blocks (blob ids[n] holds blocks[n]) over the committed layout */
  private async commitBlocks(file: OpenFile, blocks: Block[], ids: string[]): Promise<void> {
    const placed = blocks.map((b, n) => ({ offset: b.offset, length: b.data.length, blob: ids[n] }))
    const layouts = await this.layouts.commit(file.ino, placed, file.writtenMs || Date.now())
    for (const [chunk, extents] of layouts) file.chunks.set(chunk, extents)
  }

  /**
   * compact rewrites a fragmented chunk as whole aligned blocks (all-zero blocks become holes),
   * outside any transaction; the new layout is committed only if the chunk and the size have
   * not changed since they were read (otherwise the next seal tries again). The old blobs, and
   * new ones of a lost race, are left to GC.
   */
  private async compact(file: OpenFile, chunk: number): Promise<void> {
    const snap = await this.layouts.snapshot(file.ino, chunk)
    if (!snap || snap.extents.length < COMPACT_AT) return
    const end = Math.min(this.chunkSize, snap.size - chunk * this.chunkSize)
    if (end <= 0) return
    const data = Buffer.alloc(end)
    await Promise.all(pieces(snap.extents, 0, end).map(async p => {
      if (p.blob !== null) (await this.blobs.read(p.blob, p.boff, p.len)).copy(data, p.off)
    }))
    const compacted: Extent[] = []
    const zeros = Buffer.alloc(this.blockSize)
    for (let off = 0; off < end; off += this.blockSize) {
      const block = data.subarray(off, Math.min(end, off + this.blockSize))
      if (block.equals(zeros.subarray(0, block.length))) continue
      compacted.push({ off, len: block.length, blob: await this.blobs.put(Buffer.from(block), file.path), boff: 0 })
    }
    if (await this.layouts.replace(snap, compacted)) file.chunks.set(chunk, compacted)
  }

  /** preload takes a chunk's layout read elsewhere (with the inode at open) */
  preload(file: OpenFile, chunk: number, extents: Extent[]): void {
    file.chunks.set(chunk, extents)
  }

  private async chunk(file: OpenFile, chunk: number): Promise<Extent[]> {
    let extents = file.chunks.get(chunk)
    if (!extents) {
      extents = await this.layouts.load(file.ino, chunk)
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
   * next readAheadBlocks blocks into the read cache, each once, so the pool works while the
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
    const to = Math.min(file.size, file.readEnd + this.readAheadBlocks * this.blockSize)
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

  /** truncated brings an open file's view in line after a truncate committed */
  truncated(file: OpenFile, size: number): void {
    file.dirty.truncate(size)
    file.inflight = file.inflight.filter(b => b.offset < size)
    file.size = size
    file.chunks.clear()
  }
}
