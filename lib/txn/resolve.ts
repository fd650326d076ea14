// Recovery: whoever meets an intent envelope settles its transaction from the record in the
// coordinator group. committed -> apply it in every group; aborted, or pending past its
// deadline -> abort it (compare-and-swap to aborted, so the coordinator's commit, which
// compares the record's revision, can never succeed afterwards) and roll every group back;
// absent -> the transaction finished or never committed: roll back the envelope met, if it is
// still there. Every step is guarded, so resolvers may crash, run twice, or race each other
// and the coordinator.
import { setTimeout as sleep } from 'node:timers/promises'
import { EAGAIN, MetaError } from '../errors'
import { FAILPOINTS, failpoint } from './failpoints'
import { settleGroup, type Groups } from './group'
import type { Intent } from './intent'
import type { TxnOptions } from './options'
import { decodeRecord, encodeRecord, type TxnRecord } from './record'

/**
 * committed / aborted: this call or an earlier one settled the transaction by its record;
 * finished: the record is gone and the key holds no envelope of it any more;
 * pending: the transaction is live (before its deadline), nothing was done
 */
export type Resolution = 'committed' | 'aborted' | 'finished' | 'pending'

export interface ResolveOptions extends Pick<TxnOptions, 'now'> {
  /** wait: rather than answer 'pending', wait until the transaction commits or its deadline passes */
  wait?: boolean
}

const RECORD_ATTEMPTS = 3
const WAIT_STEP_MS = 50

/** resolveRecord settles the transaction whose record is key in group coordinator */
export async function resolveRecord(groups: Groups, coordinator: string, key: string, opts: ResolveOptions = {}): Promise<{ resolution: Resolution; record?: TxnRecord }> {
  const coord = groups(coordinator)
  const now = opts.now ?? Date.now
  for (let attempt = 0; attempt < RECORD_ATTEMPTS; attempt++) {
    const { kv } = await coord.get(key)
    if (!kv) return { resolution: 'finished' }
    const record = decodeRecord(kv.value)
    if (!record) throw new MetaError('EINVAL', `${key} in group ${coordinator} is not a transaction record`)
    let revision = kv.modRevision
    if (record.state === 'pending') {
      if (now() <= record.deadline) return { resolution: 'pending', record }
      record.state = 'aborted'
      const res = await coord.txn([{ key, target: 'mod', op: '=', value: revision }], [{ type: 'put', key, value: encodeRecord(record) }])
      if (!res.succeeded) continue // the coordinator committed or another resolver aborted: look again
      revision = res.revision
      await failpoint(FAILPOINTS.resolveAfterAbort)
    }
    const state = record.state
    await Promise.all(record.participants.map(async plan => {
      await settleGroup(groups(plan.group), record.txid, plan, state)
      await failpoint(FAILPOINTS.resolveAfterSettle(plan.group))
    }))
    await coord.txn([{ key, target: 'mod', op: '=', value: revision }], [{ type: 'delete', key }])
    await failpoint(FAILPOINTS.resolveAfterClear)
    return { resolution: state, record }
  }
  throw EAGAIN(`transaction record ${key} in group ${coordinator} keeps changing`)
}

/** resolveIntent settles the transaction of an envelope met in intent.group */
export async function resolveIntent(groups: Groups, intent: Intent, opts: ResolveOptions = {}): Promise<Resolution> {
  const now = opts.now ?? Date.now
  for (;;) {
    const { resolution, record } = await resolveRecord(groups, intent.coordinator, intent.record, opts)
    if (resolution === 'pending') {
      if (!opts.wait) return resolution
      await sleep(Math.max(1, Math.min(record!.deadline - now() + 1, WAIT_STEP_MS)))
      continue
    }
    const listed = record?.participants.some(p => p.group === intent.group && p.keys.some(k => k.equals(intent.key)))
    if (listed) return resolution
    // No record names this key (gone, or a damaged envelope): its transaction cannot commit it.
    await settleGroup(groups(intent.group), intent.txid, { group: intent.group, keys: [intent.key], prefixes: [] }, 'aborted')
    return record ? resolution : 'finished'
  }
}
