// The pool driver contract. A pool is one vendor storage target (a directory, a bucket);
// a driver stores immutable, content-addressed blobs in it and nothing else. Blob ids are
// self-describing and never change once written: 'sha256-' followed by 64 lowercase hex digits.
// Drivers must refuse any other id (so no key can escape the pool) and must never put
// credentials in logs or error messages.

export interface ByteRange {
  offset: number
  length: number
}

export interface DriverCapabilities {
  /** largest blob the driver accepts in one put */
  maxBlobBytes: number
  /** get honours a byte range without reading the whole blob */
  rangeReads: boolean
}

export interface PoolUsage {
  totalBytes: number
  freeBytes: number
}

export interface PoolDriver {
  /** driver names the implementation ('local', 's3', ...) */
  readonly driver: string
  readonly capabilities: DriverCapabilities
  /**
   * put stores a blob, readable (whole, never torn) once it resolves; idempotent: putting an id
   * that exists succeeds and changes nothing. It may be durable only after the next sync().
   */
  put(id: string, data: Buffer): Promise<void>
  /** sync makes every blob put so far durable (a driver whose puts are durable at once does nothing) */
  sync(): Promise<void>
  /** get returns a blob or a byte range of it; rejects with code ENOENT when absent */
  get(id: string, range?: ByteRange): Promise<Buffer>
  /** has tells whether the pool holds a blob */
  has(id: string): Promise<boolean>
  /** delete removes a blob; idempotent */
  delete(id: string): Promise<void>
  /** list yields every blob id in the pool, in no particular order */
  list(): AsyncIterable<string>
  /** listSizes, when the driver can, yields every blob with its size (for `pool ls`); optional */
  listSizes?(): AsyncIterable<{ id: string; bytes: number }>
  /** usage reports capacity, for statfs */
  usage(): Promise<PoolUsage>
  /** close releases the driver; idempotent */
  close(): Promise<void>
}

/** The options a pool definition carries: the driver name and driver-specific fields. */
export interface PoolConfig {
  driver: string
  [field: string]: unknown
}

export type DriverFactory = (config: PoolConfig) => Promise<PoolDriver>

const BLOB_ID = /^sha256-[0-9a-f]{64}$/

export function isBlobId(id: string): boolean {
  return BLOB_ID.test(id)
}
