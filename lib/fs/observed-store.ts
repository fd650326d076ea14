// A MetaStore that tells its owner about every write it commits, so that the owner's caches
// follow the owner's own changes at once, whichever module made them.
import type {
  Bytes, Compare, GetManyResult, GetResult, MetaStore, Op, RangeOptions, RangeResult, TxnResult, Watch, WatchHandlers,
} from '../meta/store'

/** onCommit receives the write ops of a transaction that took effect, and its revision */
export type CommitListener = (ops: Op[], revision: number) => void

export class ObservedStore implements MetaStore {
  readonly engine: string

  constructor(private readonly store: MetaStore, private readonly onCommit: CommitListener) {
    this.engine = store.engine
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    const res = await this.store.txn(compares, success, failure)
    const ops = res.succeeded ? success : failure
    if (ops.some(op => op.type !== 'get')) this.onCommit(ops, res.revision)
    return res
  }

  get(key: Bytes, opts?: { serializable?: boolean }): Promise<GetResult> { return this.store.get(key, opts) }
  getMany(keys: Bytes[], opts?: { serializable?: boolean }): Promise<GetManyResult> { return this.store.getMany(keys, opts) }
  range(prefix: Bytes, opts?: RangeOptions): Promise<RangeResult> { return this.store.range(prefix, opts) }
  watch(prefix: Bytes, handlers: WatchHandlers, fromRevision?: number): Promise<Watch> { return this.store.watch(prefix, handlers, fromRevision) }
  grant(ttlSeconds: number): Promise<number> { return this.store.grant(ttlSeconds) }
  keepAlive(lease: number): Promise<void> { return this.store.keepAlive(lease) }
  revoke(lease: number): Promise<void> { return this.store.revoke(lease) }
  sync(): Promise<void> { return this.store.sync() }
  compact(revision: number): Promise<void> { return this.store.compact(revision) }
  close(): Promise<void> { return this.store.close() }
}
