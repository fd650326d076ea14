// The MetaStore: an etcd-shaped key-value store that every metadata engine implements.
// Keys and values are bytes, kept in byte order. Every write bumps one store-wide revision;
// every response carries the revision the store was at when it answered.

export type Bytes = Buffer | string

/** One stored key with etcd's bookkeeping. */
export interface KeyValue {
  key: Buffer
  value: Buffer
  /** revision of the write that created this key (since its last delete) */
  createRevision: number
  /** revision of the last write to this key */
  modRevision: number
  /** number of writes since creation, 1 after the first put */
  version: number
  /** lease the key is bound to, 0 for none */
  lease: number
}

export type CompareTarget = 'create' | 'mod' | 'version' | 'value'
export type CompareOp = '=' | '!=' | '<' | '>'

/** A guard on one key. A missing key has create, mod and version 0 and no value. */
export interface Compare {
  key: Bytes
  target: CompareTarget
  op: CompareOp
  /** a revision or version number, or the bytes for a value compare */
  value: number | Bytes
}

export type Op =
  | { type: 'put'; key: Bytes; value: Bytes; lease?: number }
  | { type: 'delete'; key: Bytes }
  | { type: 'deletePrefix'; prefix: Bytes }
  | { type: 'get'; key: Bytes }

export interface TxnResult {
  succeeded: boolean
  revision: number
  /** one entry per op of the branch that ran: the key for a 'get', the count deleted for deletes */
  results: Array<KeyValue | null | number>
}

export interface RangeOptions {
  /** at most this many keys; 0 or absent for no limit */
  limit?: number
  /** continue after this key (exclusive), for pagination */
  after?: Bytes
  /** serve from the local member without a quorum round (may be stale) */
  serializable?: boolean
  /**
   * read the keys as they were at this revision (the revision of an earlier answer), so that
   * the pages of one long read agree; ECOMPACTED when the store no longer holds that revision
   * (a store without history holds only its current one)
   */
  revision?: number
}

export interface RangeResult {
  kvs: KeyValue[]
  /** true when the limit cut the answer short: continue with after = last key */
  more: boolean
  /** the store's revision, or the one asked for (RangeOptions.revision) */
  revision: number
}

export interface GetResult {
  kv: KeyValue | null
  revision: number
}

export interface GetManyResult {
  /** one per key asked, in order; null for an absent key */
  kvs: Array<KeyValue | null>
  revision: number
}

export type WatchEventType = 'put' | 'delete'

export interface WatchEvent {
  type: WatchEventType
  /** for a delete: the key, an empty value, and modRevision = the delete's revision */
  kv: KeyValue
}

export interface WatchHandlers {
  /** onEvents receives each revision's events in order, never split across calls */
  onEvents(events: WatchEvent[], revision: number): void
  /** onError is told of a watch that cannot go on (for example its revision was compacted) */
  onError?(err: Error): void
}

export interface Watch {
  /** close stops delivery; idempotent */
  close(): Promise<void>
}

/** The interface every metadata engine implements. */
export interface MetaStore {
  /** engine names the implementation ('embedded', 'etcd') */
  readonly engine: string
  /** get reads one key */
  get(key: Bytes, opts?: { serializable?: boolean }): Promise<GetResult>
  /** getMany reads several keys at one revision, in one round trip */
  getMany(keys: Bytes[], opts?: { serializable?: boolean }): Promise<GetManyResult>
  /** range reads the keys that start with prefix, in byte order */
  range(prefix: Bytes, opts?: RangeOptions): Promise<RangeResult>
  /** txn runs success ops if every compare holds, else failure ops, atomically */
  txn(compares: Compare[], success: Op[], failure?: Op[]): Promise<TxnResult>
  /** watch delivers every change under prefix from fromRevision (default: now) with no gap */
  watch(prefix: Bytes, handlers: WatchHandlers, fromRevision?: number): Promise<Watch>
  /** grant creates a lease that expires ttlSeconds after its last keep-alive */
  grant(ttlSeconds: number): Promise<number>
  /** keepAlive renews a lease; rejects with ELEASE if it already expired */
  keepAlive(lease: number): Promise<void>
  /** revoke ends a lease and deletes the keys bound to it */
  revoke(lease: number): Promise<void>
  /**
   * sync makes every transaction committed so far durable. An engine may acknowledge commits
   * before they reach the disk (POSIX asks for durability only at fsync); etcd's always have.
   */
  sync(): Promise<void>
  /** compact forgets history before revision; watches from before it fail with ECOMPACTED */
  compact(revision: number): Promise<void>
  /** close releases the engine; idempotent */
  close(): Promise<void>
  /** members reports each replica of the store, for `meridian status` (an engine without replicas reports itself) */
  members?(): Promise<MemberStatus[]>
}

/** One replica of a store as `meridian status` shows it. */
export interface MemberStatus {
  name: string
  /** where it answers: a client URL, a file */
  endpoint: string
  reachable: boolean
  leader: boolean
  /** the revision it has applied; lag: how many revisions it is behind the newest member */
  revision?: number
  lag?: number
  /** why it did not answer */
  error?: string
}

/** The request limits that every engine enforces alike, so code tested on one runs on all. */
export const limits = {
  /** etcd's default --max-request-bytes */
  requestBytes: 1.5 * 1024 * 1024,
  /** etcd's default --max-txn-ops */
  txnOps: 128,
}

export function toBuffer(b: Bytes): Buffer {
  return typeof b === 'string' ? Buffer.from(b) : b
}

/** prefixEnd is the first key after every key that starts with prefix ('' when none is). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.alloc(0)
}
