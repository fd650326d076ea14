// crossGroupCommit: one atomic transaction over several metadata groups (docs/metadata-groups.md
// draws the steps): record -> prepare every group -> commit (compare-and-swap of the record)
// -> apply every group -> clear the record. Whoever meets an envelope before the end settles
// it from the record (resolve.ts), so a crash after any step leaves a state that recovery
// takes entirely forward or entirely back.
import { randomBytes } from 'node:crypto'
import { MetaError } from '../errors'
import { log } from '../log'
import { toBuffer, type KeyValue, type MetaStore, type Op } from '../meta/store'
import { FAILPOINTS, failpoint } from './failpoints'
import { applyPrepared, planGroup, prepareGroup, settleGroup, type GroupWork, type Groups, type Participant } from './group'
import type { Intent } from './intent'
import { DEFAULT_TIMEOUT_MS, type TxnOptions } from './options'
import { DEFAULT_RECORD_PREFIX, decodeRecord, encodeRecord, recordKey, type TxnRecord } from './record'

export type CommitResult =
  /** revisions: each group's store revision after the apply (a group missing was left to resolvers) */
  | { outcome: 'committed'; txid: string; revisions: Record<string, number> }
  /** a compare failed in group, or a key there holds intent of another transaction: rerun on fresh reads */
  | { outcome: 'conflict'; txid: string; group: string; intent?: Intent }
  /** the deadline passed before the commit, or a resolver aborted the transaction: nothing happened */
  | { outcome: 'aborted'; txid: string }

export async function crossGroupCommit(groups: Groups, coordinator: string, participants: Participant[], opts: TxnOptions = {}): Promise<CommitResult> {
  if (participants.length === 0) throw new MetaError('EINVAL', 'a cross-group transaction needs at least one participant')
  const works = participants.map(planGroup)
  if (new Set(works.map(w => w.plan.group)).size !== works.length) throw new MetaError('EINVAL', 'a group appears twice among the participants')
  const now = opts.now ?? Date.now
  const txid = randomBytes(12).toString('hex')
  const key = recordKey(opts.recordPrefix ?? DEFAULT_RECORD_PREFIX, txid)
  const record: TxnRecord = { txid, state: 'pending', deadline: now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS), participants: works.map(w => w.plan) }
  const coord = groups(coordinator)

  // 1. The record comes before any envelope: so an envelope whose record is absent belongs to a
  //    transaction that can no longer commit (its commit compares the record's revision).
  //    The txid is random: a record that exists with exactly our value is our own, written by
  //    a request whose reply was lost and that the engine sent again.
  const value = encodeRecord(record)
  const created = await coord.txn([{ key, target: 'create', op: '=', value: 0 }], [{ type: 'put', key, value }], [{ type: 'get', key }])
  const found = created.results[0] as KeyValue | null | undefined
  if (!created.succeeded && !(found && toBuffer(found.value).equals(toBuffer(value)))) throw new MetaError('EINVAL', `transaction record ${key} exists already`)
  const createdRevision = created.succeeded ? created.revision : found!.modRevision
  await failpoint(FAILPOINTS.afterRecord)

  // 2. Prepare every group at once (in parallel: a read, then the guarded write of the envelopes).
  const base = { txid, coordinator, record: key }
  const prepared = await Promise.allSettled(works.map(async w => {
    const r = await prepareGroup(groups(w.plan.group), w, base)
    await failpoint(FAILPOINTS.afterPrepare(w.plan.group))
    return r
  }))
  const failed = prepared.findIndex(r => r.status === 'rejected' || !r.value.ok)
  const ready = prepared.flatMap(r => (r.status === 'fulfilled' && r.value.ok ? [r.value] : []))
  if (failed >= 0 || now() >= record.deadline) {
    await abandon(groups, coord, key, txid, createdRevision, works)
    const r = prepared[failed]
    if (r === undefined) return { outcome: 'aborted', txid }
    if (r.status === 'rejected') throw r.reason
    return { outcome: 'conflict', txid, group: works[failed].plan.group, intent: r.value.ok ? undefined : r.value.intent }
  }

  // 3. Commit: the one compare-and-swap that decides.
  const marker: Op[] = opts.marker ? [{ type: 'put', key: opts.marker.key, value: txid, lease: opts.marker.lease }] : []
  const commit = await coord.txn(
    [{ key, target: 'mod', op: '=', value: createdRevision }],
    [{ type: 'put', key, value: encodeRecord({ ...record, state: 'committed' }) }, ...marker],
    opts.marker ? [{ type: 'get', key: opts.marker.key }] : [],
  )
  let recordRevision = commit.revision
  const marked = commit.results[0] as KeyValue | null | undefined
  if (!commit.succeeded && marked?.value.toString() === txid) {
    // a retried request committed before it reported failure, and a resolver may have applied and cleared it since
    recordRevision = marked.modRevision
  } else if (!commit.succeeded) {
    // Only the coordinator commits; a retried request may have done so before it reported failure.
    const { kv } = await coord.get(key)
    if (!kv || decodeRecord(kv.value)?.state !== 'committed') {
      await abandon(groups, coord, key, txid, kv?.modRevision ?? 0, works)
      return { outcome: 'aborted', txid }
    }
    recordRevision = kv.modRevision
  }
  await failpoint(FAILPOINTS.afterCommit)

  // 4. Apply every group (one guarded write each, in parallel); 5. clear the record once all are applied.
  const revisions: Record<string, number> = {}
  const applied = await Promise.allSettled(works.map(async (w, i) => {
    revisions[w.plan.group] = await applyPrepared(groups(w.plan.group), txid, w.plan, ready[i])
    await failpoint(FAILPOINTS.afterApply(w.plan.group))
  }))
  const errors = applied.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (errors.length > 0) {
    // committed all the same: whoever meets an envelope, or fsck --repair, applies the rest
    log.warn({ txid, err: errors[0].reason }, 'cross-group transaction committed, but not every group applied it')
    return { outcome: 'committed', txid, revisions }
  }
  await coord.txn([{ key, target: 'mod', op: '=', value: recordRevision }], [{ type: 'delete', key }])
  await failpoint(FAILPOINTS.afterClear)
  return { outcome: 'committed', txid, revisions }
}

/**
 * abandon rolls back what a transaction that will not commit prepared, then deletes its
 * record (if it is still at recordRevision). A failure is only logged: the envelopes left
 * behind are rolled back by whoever meets them once the deadline has passed.
 */
async function abandon(groups: Groups, coord: MetaStore, key: string, txid: string, recordRevision: number, works: GroupWork[]): Promise<void> {
  try {
    await Promise.all(works.map(async w => {
      await settleGroup(groups(w.plan.group), txid, w.plan, 'aborted')
      await failpoint(FAILPOINTS.afterRollback(w.plan.group))
    }))
    await coord.txn([{ key, target: 'mod', op: '=', value: recordRevision }], [{ type: 'delete', key }])
  } catch (err) {
    log.warn({ record: key, err }, 'cross-group transaction: rolling back failed; resolvers will after its deadline')
  }
}
