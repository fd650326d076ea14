// A MetaStore that passes every call on to another one. A wrapper (a causal view, an observer
// of commits) extends it and overrides only the calls it changes.
import type {
  Bytes, Compare, GetManyResult, GetResult, MetaStore, Op, RangeOptions, RangeResult, TxnResult, Watch, WatchHandlers,
} from './store'

export class ForwardingStore implements MetaStore {
  readonly engine: string

  constructor(protected readonly store: MetaStore) {
    this.engine = store.engine
  }

  get(key: Bytes, opts?: { serializable?: boolean }): Promise<GetResult> { return this.store.get(key, opts) }
  getMany(keys: Bytes[], opts?: { serializable?: boolean }): Promise<GetManyResult> { return this.store.getMany(keys, opts) }
  range(prefix: Bytes, opts?: RangeOptions): Promise<RangeResult> { return this.store.range(prefix, opts) }
  txn(compares: Compare[], success: Op[], failure?: Op[]): Promise<TxnResult> { return this.store.txn(compares, success, failure) }
  watch(prefix: Bytes, handlers: WatchHandlers, fromRevision?: number): Promise<Watch> { return this.store.watch(prefix, handlers, fromRevision) }
  grant(ttlSeconds: number): Promise<number> { return this.store.grant(ttlSeconds) }
  keepAlive(lease: number): Promise<void> { return this.store.keepAlive(lease) }
  revoke(lease: number): Promise<void> { return this.store.revoke(lease) }
  sync(): Promise<void> { return this.store.sync() }
  compact(revision: number): Promise<void> { return this.store.compact(revision) }
  /** close closes the store passed on to: the wrapper owns it */
  close(): Promise<void> { return this.store.close() }
}
