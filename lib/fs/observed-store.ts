// A MetaStore that tells its owner about every write it commits, so that the owner's caches
// follow the owner's own changes at once, whichever module made them.
import { ForwardingStore } from '../meta/forwarding-store'
import type { Compare, MetaStore, Op, TxnResult } from '../meta/store'
import { appliedBefore } from './tx'

/** onCommit receives the write ops of a transaction that took effect, and its revision */
export type CommitListener = (ops: Op[], revision: number) => void

export class ObservedStore extends ForwardingStore {
  constructor(store: MetaStore, private readonly onCommit: CommitListener) {
    super(store)
  }

  override async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    const res = await this.store.txn(compares, success, failure)
    // an earlier attempt of this request applied it, and its reply was lost (tx.ts)
    const earlier = appliedBefore(success, failure, res)
    if (earlier !== undefined) this.onCommit(success, earlier)
    const ops = res.succeeded ? success : failure
    if (ops.some(op => op.type !== 'get')) this.onCommit(ops, res.revision)
    return res
  }
}
