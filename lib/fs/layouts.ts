// The filesystem's side of the data path: chunk layouts as metadata (fs/<name>/c/<ino>/<chunk>),
// read and committed in transactions for lib/data's FileData (its Layouts seam). Only keys and
// records here; the blobs were written before anything here runs.
import type { ChunkSnapshot, Layouts, Placed } from '../data/file-data'
import { chunkSpans, overlay, truncate as truncateExtents, type Extent } from '../data/extent'
import type { Groups } from './groups'
import type { Inode } from './inode'
import type { InodeCache } from './inode-cache'
import { decodeExtents, encodeExtents, type Keys } from './schema'
import { Tx } from './tx'

interface Guard {
  inodeRev: number
  chunkRev: number
}

export class MetaLayouts implements Layouts {
  constructor(
    private readonly groups: Groups,
    private readonly keys: Keys,
    private readonly inodes: InodeCache,
    private readonly chunkSize: number,
  ) {}

  async load(ino: number, chunk: number): Promise<Extent[]> {
    const { store } = await this.groups.of(ino)
    return decodeExtents((await store.get(this.keys.chunk(ino, chunk))).kv?.value ?? null)
  }

  /**
   * commit reads one round trip at most: the inode may come from the cache (guarded by its
   * revision), and chunks at or past its size hold nothing (truncate removes them, and every
   * write that makes one also grows the size), so only the others are read, together.
   */
  async commit(ino: number, placed: Placed[], mtimeMs: number): Promise<Map<number, Extent[]>> {
    const spans = placed.map(p => chunkSpans(p.offset, p.length, this.chunkSize))
    return (await this.groups.of(ino)).transact('write', async tx => {
      let i: Inode
      try {
        i = await this.inodes.readAssuming(tx, ino)
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return new Map<number, Extent[]>() // removed meanwhile: nothing to keep
        throw err
      }
      const touched = [...new Set(spans.flat().map(span => span.chunk))]
      const stored = touched.filter(chunk => chunk * this.chunkSize < i.size)
      const raws = stored.length > 0 ? await tx.get(...stored.map(chunk => this.keys.chunk(ino, chunk))) : []
      const layouts = new Map<number, Extent[]>(touched.map(chunk => [chunk, []]))
      stored.forEach((chunk, n) => layouts.set(chunk, decodeExtents(raws[n])))
      for (const [n, p] of placed.entries()) {
        for (const span of spans[n]) {
          layouts.set(span.chunk, overlay(layouts.get(span.chunk)!, { off: span.off, len: span.len, blob: p.blob, boff: span.pos }))
        }
        i.size = Math.max(i.size, p.offset + p.length)
      }
      for (const [chunk, extents] of layouts) tx.put(this.keys.chunk(ino, chunk), encodeExtents(extents))
      i.mtimeMs = i.ctimeMs = mtimeMs
      this.inodes.put(tx, i)
      return layouts
    })
  }

  async snapshot(ino: number, chunk: number): Promise<ChunkSnapshot | undefined> {
    const tx = new Tx((await this.groups.of(ino)).store)
    const inodeKey = this.keys.inode(ino)
    const chunkKey = this.keys.chunk(ino, chunk)
    const [rawInode, rawChunk] = await tx.get(inodeKey, chunkKey)
    if (!rawInode || !rawChunk) return undefined
    const i = await this.inodes.read(tx, ino) // read already: no round trip
    const guard: Guard = { inodeRev: tx.revisionOf(inodeKey) ?? 0, chunkRev: tx.revisionOf(chunkKey) ?? 0 }
    return { ino, chunk, extents: decodeExtents(rawChunk), size: i.size, guard }
  }

  async replace(snap: ChunkSnapshot, extents: Extent[]): Promise<boolean> {
    const { inodeRev, chunkRev } = snap.guard as Guard
    const { store } = await this.groups.of(snap.ino)
    const res = await store.txn(
      [
        { key: this.keys.inode(snap.ino), target: 'mod', op: '=', value: inodeRev },
        { key: this.keys.chunk(snap.ino, snap.chunk), target: 'mod', op: '=', value: chunkRev },
      ],
      [{ type: 'put', key: this.keys.chunk(snap.ino, snap.chunk), value: encodeExtents(extents) }],
    )
    return res.succeeded
  }

  /** truncate cuts the committed layout of inode i to size, inside tx (growing needs nothing: holes) */
  async truncate(tx: Tx, i: Inode, size: number): Promise<void> {
    if (size >= i.size) return
    const keep = Math.ceil(size / this.chunkSize)
    for (const key of await tx.keys(this.keys.chunks(i.ino))) {
      const chunk = this.keys.chunkIndexOf(key)
      if (chunk === undefined) continue
      if (chunk >= keep) {
        tx.delete(key)
      } else if (chunk === keep - 1 && size % this.chunkSize !== 0) {
        const [raw] = await tx.get(key)
        tx.put(key, encodeExtents(truncateExtents(decodeExtents(raw), size % this.chunkSize)))
      }
    }
  }
}
