// ReadCache keeps recently read, verified blobs in memory, bounded by their total size.
// Cached buffers are shared with callers: treat them as read-only.
import { LRUCache } from 'lru-cache'
import { DEFAULTS } from '../config/tunables'
import { lookedUp } from '../metrics/counters'

/** READ_CACHE_BYTES is the default bound (tuning read-cache-size, 256 MiB). */
export const READ_CACHE_BYTES = DEFAULTS['read-cache-size']

export interface ReadCacheOptions {
  /** the most bytes the cache holds; a blob larger than this is not cached */
  maxBytes?: number
}

export class ReadCache {
  readonly maxBytes: number
  private readonly lru: LRUCache<string, Buffer>

  constructor({ maxBytes = READ_CACHE_BYTES }: ReadCacheOptions = {}) {
    this.maxBytes = maxBytes
    this.lru = new LRUCache<string, Buffer>({
      maxSize: maxBytes,
      // lru-cache refuses a size of 0, so an empty blob counts as one byte
      sizeCalculation: data => Math.max(1, data.length),
    })
  }

  /** get returns the cached blob id, or undefined. */
  get(id: string): Buffer | undefined {
    return lookedUp('read', this.lru.get(id))
  }

  /** has tells whether blob id is cached, without counting as a use. */
  has(id: string): boolean {
    return this.lru.has(id)
  }

  /** set caches data as blob id, evicting the least recently used blobs to make room. */
  set(id: string, data: Buffer): void {
    this.lru.set(id, data)
  }

  /** delete drops blob id from the cache. */
  delete(id: string): void {
    this.lru.delete(id)
  }

  /** bytes is how much the cache holds now. */
  get bytes(): number {
    return this.lru.calculatedSize
  }
}
