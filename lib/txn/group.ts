// What a cross-group transaction does inside one participant group: prepare (put an intent
// envelope in place of every key, guarded by the caller's compares) and settle (replace the
// envelopes by their next values and run the prefix deletes, or put the prior values back).
// Each step is one store transaction, so a group is always entirely prepared or not at all,
// and entirely settled or not at all: this is what makes a settle safe to run twice (a group
// that holds no envelope of the transaction any more was settled, and its prefix deletes ran
// exactly once, in the same store transaction).
import { EAGAIN, MetaError } from '../errors'
import { toBuffer, type Compare, type KeyValue, type MetaStore, type Op, type TxnResult } from '../meta/store'
import { decodeIntent, encodeIntent, type Intent } from './intent'
import type { GroupPlan } from './record'

/** Groups maps a group's name to its store. */
export type Groups = (group: string) => MetaStore

/** A write a cross-group transaction applies in one group. */
export type WriteOp = Extract<Op, { type: 'put' | 'delete' | 'deletePrefix' }>

/** Participant is one group's share of a transaction: what it read under, what it writes. */
export interface Participant {
  group: string
  /** the guards the caller read under (mod revisions, as lib/fs/tx.ts builds them) */
  compares: Compare[]
  /**
   * guards checked at prepare but not locked: keys that every transaction of the group
   * compares (a configuration epoch), which locking would hold up the whole group
   */
  guards?: Compare[]
  ops: WriteOp[]
}

/** GroupWork is a participant checked and taken apart: its plan and each key's next value. */
export interface GroupWork {
  plan: GroupPlan
  /** the caller's compares, locked ones and guards alike */
  compares: Compare[]
  /** written key (hex) -> value after commit, null for a delete */
  next: Map<string, Buffer | null>
}

/**
 * Prepared tells how a prepare went: when ok, the apply it makes possible without reading
 * again (every envelope was written at revision, and the values after commit are known)
 */
export type Prepared = { ok: true; apply: { guards: Compare[]; ops: Op[] } } | { ok: false; intent?: Intent }

/** the part of an envelope that every key of one transaction shares */
export type IntentBase = Pick<Intent, 'txid' | 'coordinator' | 'record'>

const SETTLE_ATTEMPTS = 5
const hex = (k: Buffer) => k.toString('hex')
const under = (key: Buffer, prefixes: Buffer[]) => prefixes.some(p => key.subarray(0, p.length).equals(p))

/**
 * planGroup checks a participant and lists the keys it locks: every key it writes and every
 * key it compares (a compared key is locked too, so that no one changes what the transaction
 * read between prepare and commit). EINVAL for what the protocol cannot carry.
 */
export function planGroup(p: Participant): GroupWork {
  const next = new Map<string, Buffer | null>()
  const prefixes: Buffer[] = []
  for (const op of p.ops) {
    if (op.type === 'deletePrefix') prefixes.push(toBuffer(op.prefix))
    else if (op.type === 'put' && op.lease) throw new MetaError('EINVAL', `group ${p.group}: a cross-group transaction cannot bind a key to a lease`)
    else next.set(hex(toBuffer(op.key)), op.type === 'put' ? toBuffer(op.value) : null)
  }
  // A group settles by its envelopes: without one, nothing could tell whether its prefix deletes ran.
  if (next.size === 0) throw new MetaError('EINVAL', `group ${p.group}: a participant must put or delete at least one key`)
  for (const [k, v] of next) {
    if (v !== null && under(Buffer.from(k, 'hex'), prefixes)) throw new MetaError('EINVAL', `group ${p.group}: a key it puts lies under a prefix it deletes`)
  }
  const keys = new Set([...next.keys(), ...p.compares.map(c => hex(toBuffer(c.key)))])
  return { plan: { group: p.group, keys: [...keys].map(k => Buffer.from(k, 'hex')), prefixes }, compares: [...p.compares, ...(p.guards ?? [])], next }
}

/** readKeys reads keys in one round trip (null for an absent one), with the store's revision */
export async function readKeys(store: MetaStore, keys: Buffer[]): Promise<{ kvs: Array<KeyValue | null>; revision: number }> {
  if (keys.length === 1) {
    const { kv, revision } = await store.get(keys[0])
    return { kvs: [kv], revision }
  }
  const res = await store.txn([], keys.map(key => ({ type: 'get' as const, key })))
  return { kvs: res.results as Array<KeyValue | null>, revision: res.revision }
}

/**
 * prepareGroup puts an envelope in place of each key of the plan, in one store transaction
 * guarded by the caller's compares and by the revision each prior value was read at. Not ok
 * on a conflict, with the other transaction's intent when a key holds one. A key bound to a
 * lease is only guarded, not locked: it may vanish at any moment whatever we write.
 */
export async function prepareGroup(store: MetaStore, work: GroupWork, base: IntentBase): Promise<Prepared> {
  const { plan } = work
  const { kvs } = await readKeys(store, plan.keys)
  const guards: Compare[] = []
  const ops: Op[] = []
  const applyOps: Op[] = plan.prefixes.map(prefix => ({ type: 'deletePrefix' as const, prefix }))
  for (let i = 0; i < plan.keys.length; i++) {
    const key = plan.keys[i]
    const kv = kvs[i]
    const other = kv ? decodeIntent(kv.value) : undefined
    if (other) return { ok: false, intent: other }
    const written = work.next.has(hex(key))
    if (kv?.lease) {
      if (written) throw new MetaError('EINVAL', `group ${plan.group}: a cross-group transaction cannot write a key bound to a lease`)
      continue
    }
    const prior = kv?.value ?? null
    const next = written ? work.next.get(hex(key))! : prior
    guards.push({ key, target: 'mod', op: '=', value: kv?.modRevision ?? 0 })
    ops.push({ type: 'put', key, value: encodeIntent({ ...base, group: plan.group, key, prior, next }) })
    if (!under(key, plan.prefixes)) applyOps.push(next === null ? { type: 'delete', key } : { type: 'put', key, value: next })
  }
  // The failure branch reads the keys back: envelopes exactly as we wrote them (they name our
  // random txid) mean a request whose reply was lost prepared the group already.
  const res = await store.txn([...work.compares, ...guards], ops, ops.map(op => ({ type: 'get' as const, key: (op as { key: Buffer }).key })))
  const revision = res.succeeded ? res.revision : preparedBefore(ops, res.results)
  if (revision === undefined) return { ok: false }
  const applyGuards = guards.map(g => ({ ...g, value: revision }))
  return { ok: true, apply: { guards: applyGuards, ops: applyOps } }
}

/** preparedBefore is the revision at which every envelope of puts already stands as written, else undefined */
function preparedBefore(puts: Op[], found: TxnResult['results']): number | undefined {
  const kvs = found as Array<KeyValue | null>
  const revision = kvs[0]?.modRevision
  if (revision === undefined) return undefined
  const same = puts.every((op, i) => {
    const kv = kvs[i]
    return op.type === 'put' && kv?.modRevision === revision && toBuffer(kv.value).equals(toBuffer(op.value))
  })
  return same ? revision : undefined
}

/**
 * applyPrepared applies what this process prepared, in one round trip: guarded by the
 * envelopes being as it wrote them. When they are not, someone else settled the group, or
 * is settling it: settleGroup finds out.
 */
export async function applyPrepared(store: MetaStore, txid: string, plan: GroupPlan, prepared: Extract<Prepared, { ok: true }>): Promise<number> {
  const res = await store.txn(prepared.apply.guards, prepared.apply.ops)
  return res.succeeded ? res.revision : settleGroup(store, txid, plan, 'committed')
}

/**
 * settleGroup replaces every envelope of txid among the plan's keys by its next value and
 * runs the prefix deletes (committed), or puts the prior values back (aborted), in one store
 * transaction guarded by the envelopes' revisions. A group that holds no envelope of txid was
 * settled already: nothing runs. Returns the store revision after it.
 */
export async function settleGroup(store: MetaStore, txid: string, plan: GroupPlan, outcome: 'committed' | 'aborted'): Promise<number> {
  for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
    const { kvs, revision } = await readKeys(store, plan.keys)
    const guards: Compare[] = []
    const ops: Op[] = outcome === 'committed' ? plan.prefixes.map(prefix => ({ type: 'deletePrefix' as const, prefix })) : []
    for (const kv of kvs) {
      const intent = kv ? decodeIntent(kv.value) : undefined
      if (!kv || intent?.txid !== txid) continue
      guards.push({ key: kv.key, target: 'mod', op: '=', value: kv.modRevision })
      // a key under a deleted prefix goes with it (etcd refuses a put or delete overlapping a prefix delete)
      if (outcome === 'committed' && under(kv.key, plan.prefixes)) continue
      const value = outcome === 'committed' ? intent.next : intent.prior
      ops.push(value === null ? { type: 'delete', key: kv.key } : { type: 'put', key: kv.key, value })
    }
    if (guards.length === 0) return revision
    const res = await store.txn(guards, ops)
    if (res.succeeded) return res.revision
    // someone else settled it between our read and our write: read again to see
  }
  throw EAGAIN(`group ${plan.group}: transaction ${txid} keeps changing under its settle`)
}
