// LocalPool: a PoolDriver over a directory. Blobs are plain files named by their id inside
// shard directories (see shards.ts). A put is atomic at once and durable at the next sync(),
// which fsyncs everything put since the last one together (see atomic-write.ts).
import { existsSync } from 'node:fs'
import { open, stat, statfs, unlink } from 'node:fs/promises'
import path from 'node:path'
import { EFBIG, EINVAL, EIO, ENOENT } from '../../lib/errors'
import { isBlobId, type ByteRange, type DriverCapabilities, type PoolDriver, type PoolUsage } from '../driver'
import { makeDirs, syncFiles, writeAtomically } from './atomic-write'
import { blobIds, shardDir } from './shards'

const GiB = 1024 ** 3

export class LocalPool implements PoolDriver {
  readonly driver = 'local'
  readonly capabilities: DriverCapabilities = { maxBlobBytes: GiB, rangeReads: true }
  private closed = false
  /** shard directories known to exist */
  private readonly dirs = new Set<string>()
  /** blob files put since the last sync() */
  private unsynced = new Set<string>()
  /** directories that gained a shard directory since the last sync() */
  private grown = new Set<string>()
  /** the sync() running: syncs take turns, so none resolves before an earlier one's fsyncs */
  private syncing: Promise<void> = Promise.resolve()

  /**
   * root must be an existing directory; shardLevels is how many shard directories nest; inline:
   * small blobs may be written with synchronous calls (see atomic-write.ts; not on a network filesystem)
   */
  constructor(
    private readonly root: string,
    private readonly shardLevels: number,
    private readonly inline = true,
  ) {}

  async put(id: string, data: Buffer): Promise<void> {
    const file = this.blobPath(id)
    if (data.length > this.capabilities.maxBlobBytes) {
      throw EFBIG(`blob ${id} is ${data.length} bytes, over the ${this.capabilities.maxBlobBytes} byte limit`)
    }
    // an id names its content, so a blob that exists already holds these bytes
    // a stat of a cached path takes microseconds: cheaper here than a thread-pool round trip
    if (this.inline ? existsSync(file) : await exists(file)) return
    const dir = path.dirname(file)
    if (!this.dirs.has(dir)) {
      for (const parent of makeDirs(dir)) this.grown.add(parent)
      this.dirs.add(dir)
    }
    await writeAtomically(file, data, this.inline)
    this.unsynced.add(file)
  }

  sync(): Promise<void> {
    this.checkOpen()
    const run = this.syncing.catch(() => undefined).then(() => this.syncPending())
    this.syncing = run
    return run
  }

  /** syncPending fsyncs what was put since the last sync; on failure it stays pending */
  private async syncPending(): Promise<void> {
    const files = [...this.unsynced]
    const dirs = [...this.grown]
    this.unsynced = new Set()
    this.grown = new Set()
    try {
      await syncFiles(files, dirs)
    } catch (err) {
      for (const f of files) this.unsynced.add(f)
      for (const d of dirs) this.grown.add(d)
      throw err
    }
  }

  async get(id: string, range?: ByteRange): Promise<Buffer> {
    const file = this.blobPath(id)
    if (range) checkRange(range)
    const handle = await open(file, 'r').catch(err => {
      throw isNotFound(err) ? ENOENT(`blob ${id} not in pool ${this.root}`) : err
    })
    try {
      // one read of the whole size (readFile would take 512 KiB per thread-pool round trip)
      const { size } = await handle.stat()
      const offset = range?.offset ?? 0
      const length = Math.max(0, Math.min(range?.length ?? size, size - offset))
      const buffer = Buffer.allocUnsafe(length) // filled below; only what was read is returned
      let filled = 0
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled)
        if (bytesRead === 0) break // blobs never change, but never loop on a short file
        filled += bytesRead
      }
      return buffer.subarray(0, filled)
    } finally {
      await handle.close()
    }
  }

  async has(id: string): Promise<boolean> {
    return exists(this.blobPath(id))
  }

  async delete(id: string): Promise<void> {
    await unlink(this.blobPath(id)).catch(err => {
      if (!isNotFound(err)) throw err
    })
  }

  async *list(): AsyncGenerator<string> {
    this.checkOpen()
    yield* blobIds(this.root, this.shardLevels)
  }

  async *listSizes(): AsyncGenerator<{ id: string; bytes: number }> {
    for await (const id of this.list()) {
      // a blob deleted between the listing and its stat is simply not there any more
      const s = await stat(this.blobPath(id)).catch(() => null)
      if (s) yield { id, bytes: s.size }
    }
  }

  async usage(): Promise<PoolUsage> {
    this.checkOpen()
    const fs = await statfs(this.root)
    return { totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize }
  }

  async close(): Promise<void> {
    this.closed = true
  }

  /** blobPath is where id lives; it refuses anything but a blob id, so no id can leave the root. */
  private blobPath(id: string): string {
    this.checkOpen()
    if (!isBlobId(id)) throw EINVAL(`not a blob id: ${JSON.stringify(id)}`)
    return path.join(shardDir(this.root, this.shardLevels, id), id)
  }

  private checkOpen(): void {
    if (this.closed) throw EIO(`pool ${this.root} is closed`)
  }
}

function checkRange({ offset, length }: ByteRange): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw EINVAL(`bad byte range: offset ${offset}, length ${length}`)
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch (err) {
    if (isNotFound(err)) return false
    throw err
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT'
}
