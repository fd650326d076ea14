// A MetaStore that times every round trip to the store behind it (get, getMany, range, txn),
// labelled by the metadata group it belongs to: lib/fs wraps each group's store in one.
import { ForwardingStore } from '../meta/forwarding-store'
import type { Bytes, Compare, GetManyResult, GetResult, MetaStore, Op, RangeOptions, RangeResult, TxnResult } from '../meta/store'
import { child, storeSeconds } from './registry'

export class MeteredStore extends ForwardingStore {
  private readonly calls: (call: string) => ReturnType<typeof storeSeconds.labels>

  constructor(store: MetaStore, group: string) {
    super(store)
    this.calls = child(call => storeSeconds.labels({ call, group }))
  }

  private timed<T>(call: string, work: Promise<T>): Promise<T> {
    const start = process.hrtime.bigint()
    return work.finally(() => this.calls(call).observe(Number(process.hrtime.bigint() - start) / 1e9))
  }

  override get(key: Bytes, opts?: { serializable?: boolean }): Promise<GetResult> { return this.timed('get', super.get(key, opts)) }
  override getMany(keys: Bytes[], opts?: { serializable?: boolean }): Promise<GetManyResult> { return this.timed('getMany', super.getMany(keys, opts)) }
  override range(prefix: Bytes, opts?: RangeOptions): Promise<RangeResult> { return this.timed('range', super.range(prefix, opts)) }
  override txn(compares: Compare[], success: Op[], failure?: Op[]): Promise<TxnResult> { return this.timed('txn', super.txn(compares, success, failure)) }
}
