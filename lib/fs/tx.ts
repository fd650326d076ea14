// Optimistic transactions over a MetaStore: remember the mod revision of every key read,
// commit every write in one store transaction guarded by compares on all of them, and on a
// conflict run the whole operation again on fresh reads (bounded, with jittered backoff).
// A key that a cross-group transaction holds reads as its intent envelope (lib/txn): the read
// stops the run (IntentMet), the envelope is settled from its record, and the run starts again.
// A commit may apply although its reply was lost, and the engine's retry then finds its compares
// failed: so every commit also writes a marker (a key of its own, a random value) and reads it
// back in the failure branch; finding its own value there, it knows it committed
// (docs/reliability.md, "Ambiguous commits").
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { EAGAIN, MetaError } from '../errors'
import { countConflict } from '../metrics/counters'
import { toBuffer, type Compare, type KeyValue, type MetaStore, type Op, type TxnResult } from '../meta/store'
import { decodeIntent, type Intent } from '../txn/intent'

const MAX_ATTEMPTS = 40

/** IntentMet stops a run that read a key a cross-group transaction holds */
export class IntentMet extends Error {
  constructor(readonly intent: Intent) {
    super(`key held by cross-group transaction ${intent.txid}`)
    this.name = 'IntentMet'
  }
}

/** A Resolver settles the transaction of an intent met, so that the key reads as committed or as before */
export type Resolver = (intent: Intent) => Promise<void>

/** A MarkerSlot is a marker key that one commit holds alone until it releases it */
export interface MarkerSlot {
  key: string
  lease?: number
  release(): void
}

/** CommitMarkers hands out marker keys (group.ts: a few per session, bound to its lease) */
export interface CommitMarkers {
  take(): MarkerSlot
  /** leaseLost runs when a commit was refused for a lease that expired: renew it before the next try */
  leaseLost(): Promise<void>
}

/**
 * appliedBefore is, for a transaction whose compares failed, the revision at which an earlier
 * attempt of this very request applied it: its failure branch ends with a read of a key that
 * it puts with a value no one else writes (a marker, or a record holding a fresh id), and the
 * value read is the one put. Undefined otherwise.
 */
export function appliedBefore(success: Op[], failure: Op[], res: TxnResult): number | undefined {
  const read = failure[failure.length - 1]
  if (res.succeeded || read?.type !== 'get') return undefined
  const key = toBuffer(read.key)
  const mark = success.find(op => op.type === 'put' && toBuffer(op.key).equals(key))
  const found = res.results[res.results.length - 1] as KeyValue | null | number | undefined
  if (mark?.type !== 'put' || !found || typeof found === 'number' || !toBuffer(found.value).equals(toBuffer(mark.value))) return undefined
  return found.modRevision
}

/**
 * commitOnce runs a guarded transaction whose first op puts a value no one else writes: when a
 * retry after a lost reply finds its compares failed and that value in place, it succeeded
 */
export async function commitOnce(store: MetaStore, compares: Compare[], ops: Op[]): Promise<boolean> {
  const first = ops[0]
  if (first?.type !== 'put') throw new MetaError('EINVAL', 'commitOnce: the first op must be a put')
  const failure: Op[] = [{ type: 'get', key: first.key }]
  const res = await store.txn(compares, ops, failure)
  return res.succeeded || appliedBefore(ops, failure, res) !== undefined
}

export class Tx {
  private readonly seen = new Map<string, number>()
  private readonly values = new Map<string, Buffer | null>()
  private readonly writes = new Map<string, Op>()
  private readonly prefixDeletes: Op[] = []
  /** keys assumed for now, to read afresh with the next read this transaction makes */
  private readonly rereads = new Map<string, (value: Buffer | null, modRevision: number) => void>()

  /**
   * @param previous the run of this operation that conflicted just before, if any: what it
   *   guarded tells which cached values proved stale
   */
  constructor(readonly store: MetaStore, private readonly previous?: Tx, private readonly markers?: CommitMarkers) {}

  /**
   * guardedBefore is the mod revision the conflicting run before this one guarded key with
   * (read or assumed), undefined when there was none or it did not touch key
   */
  guardedBefore(key: string): number | undefined {
    return this.previous?.seen.get(key)
  }

  /**
   * get reads keys in one round trip (each key once per transaction: what was read is served
   * again without asking, so reading ahead what later steps need saves their round trips);
   * null when absent
   */
  async get(...keys: string[]): Promise<Array<Buffer | null>> {
    const missing = [...new Set(keys.filter(k => !this.values.has(k)))]
    if (missing.length > 0) {
      // what reread() asked for rides along, without a round trip of its own
      const fetch = [...missing, ...[...this.rereads.keys()].filter(k => !missing.includes(k))]
      const kvs = fetch.length === 1 ? [(await this.store.get(fetch[0])).kv] : (await this.store.getMany(fetch)).kvs
      fetch.forEach((key, i) => {
        const value = kvs[i]?.value ?? null
        const rev = kvs[i]?.modRevision ?? 0
        const seen = this.rereads.get(key)
        if (!seen) return this.remember(key, value, rev)
        this.rereads.delete(key)
        this.values.set(key, value)
        this.seen.set(key, rev)
        seen(value, rev)
      })
    }
    return keys.map(k => this.values.get(k) ?? null)
  }

  /**
   * reread assumes key as given (see assume), and reads it afresh along with the next read this
   * transaction makes, telling seen what it found; the commit is guarded on what was found
   */
  reread(key: string, value: Buffer | null, modRevision: number, seen: (value: Buffer | null, modRevision: number) => void): void {
    this.assume(key, value, modRevision)
    this.rereads.set(key, seen)
  }

  /** rereadPendingBefore tells whether the conflicting run before this one asked to reread key and never read anything after */
  rereadPendingBefore(key: string): boolean {
    return this.previous?.rereads.has(key) ?? false
  }

  /**
   * assume treats key as read with value at modRevision (0: absent) without asking the store:
   * the commit is guarded on it as on a read, so a wrong guess only makes the operation run again
   */
  assume(key: string, value: Buffer | null, modRevision: number): void {
    if (!this.values.has(key)) this.remember(key, value, modRevision)
  }

  /** revisionOf is the mod revision at which key was read (0: absent), undefined if not read */
  revisionOf(key: string): number | undefined {
    return this.seen.get(key)
  }

  private remember(key: string, value: Buffer | null, modRevision: number): void {
    const intent = value && value[0] === 0 ? decodeIntent(value) : undefined
    if (intent) throw new IntentMet(intent)
    this.values.set(key, value)
    this.seen.set(key, modRevision)
  }

  /** put writes a key at commit (bound to lease, if given); a later put or delete of the same key replaces it */
  put(key: string, value: Buffer | string, lease?: number): void {
    const v = typeof value === 'string' ? Buffer.from(value) : value
    this.writes.set(key, { type: 'put', key, value: v, lease })
    this.values.set(key, v)
  }

  /** delete removes a key at commit */
  delete(key: string): void {
    this.writes.set(key, { type: 'delete', key })
    this.values.set(key, null)
  }

  /** deletePrefix removes every key under prefix at commit (keys this transaction also puts must not be under it) */
  deletePrefix(prefix: string): void {
    this.prefixDeletes.push({ type: 'deletePrefix', prefix })
  }

  get empty(): boolean {
    return this.writes.size === 0 && this.prefixDeletes.length === 0
  }

  /** keys lists the keys under prefix (not guarded by the commit: use it where a new key cannot matter) */
  async keys(prefix: string): Promise<string[]> {
    const { kvs } = await this.store.range(prefix)
    return kvs.map(kv => kv.key.toString())
  }

  /** plan is what commit would send: a compare per key read, and the writes */
  plan(): { compares: Compare[]; ops: Op[] } {
    const compares = [...this.seen].map(([key, rev]) => ({ key, target: 'mod' as const, op: '=' as const, value: rev }))
    return { compares, ops: [...this.prefixDeletes, ...this.writes.values()] }
  }

  /**
   * commit applies the writes if nothing read has changed since; false on a conflict. With
   * markers, a commit that applied before its reply was lost counts as committed.
   */
  async commit(): Promise<boolean> {
    const { compares, ops } = this.plan()
    if (!this.markers) return (await this.store.txn(compares, ops)).succeeded
    try {
      return await this.markedCommit(compares, ops)
    } catch (err) {
      if (!(err instanceof MetaError && err.code === 'ELEASE')) throw err
      // refused, so not applied: once the session has a live lease again, try once more
      await this.markers.leaseLost()
      return this.markedCommit(compares, ops)
    }
  }

  private async markedCommit(compares: Compare[], ops: Op[]): Promise<boolean> {
    const slot = this.markers!.take()
    try {
      const success: Op[] = [...ops, { type: 'put', key: slot.key, value: randomBytes(8), lease: slot.lease }]
      const failure: Op[] = [{ type: 'get', key: slot.key }]
      const res = await this.store.txn(compares, success, failure)
      return res.succeeded || appliedBefore(success, failure, res) !== undefined
    } finally {
      slot.release()
    }
  }
}

/** A Run is how one run of an operation ended: done, or conflicted (what it read, for the next run) */
export type Run<T, R> = { done: true; value: T } | { done: false; read: R }

/**
 * attempts runs an operation until a run finishes: run(previous) makes one, given what the
 * run before it read if that one conflicted. An intent met is settled by resolve before the
 * next run; a conflict backs off first.
 */
export async function attempts<T, R>(what: string, resolve: Resolver | undefined, run: (previous: R | undefined) => Promise<Run<T, R>>): Promise<T> {
  let delay = 1
  let previous: R | undefined
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let outcome
    try {
      outcome = await run(previous)
    } catch (err) {
      if (!(err instanceof IntentMet) || !resolve) throw err
      countConflict('intent')
      await resolve(err.intent)
      continue
    }
    if (outcome.done) return outcome.value
    previous = outcome.read
    countConflict('conflict')
    await sleep(delay * Math.random())
    delay = Math.min(delay * 2, 100)
  }
  throw EAGAIN(`${what}: still conflicting after ${MAX_ATTEMPTS} attempts`)
}

/**
 * transact runs fn in a fresh Tx until its commit succeeds. fn must only read through tx and
 * must not have effects outside it, since it may run several times.
 */
export function transact<T>(store: MetaStore, what: string, fn: (tx: Tx) => Promise<T>, resolve?: Resolver, markers?: CommitMarkers): Promise<T> {
  return attempts<T, Tx>(what, resolve, async previous => {
    const tx: Tx = new Tx(store, previous, markers)
    const value = await fn(tx)
    return tx.empty || (await tx.commit()) ? { done: true, value } : { done: false, read: tx }
  })
}
