// The etcd engine: the production MetaStore, on the etcd3 client's raw gRPC calls.
// etcd3's own global retry is switched off; one retry policy (retry.ts) acts on errors that
// classify() marks recoverable, until a deadline, and then reports ETIMEDOUT.
// Serializable reads may go to one chosen member (the nearest): etcd answers them from that
// member's local state, and the header revision is that member's, so a caller can tell how
// far behind the answer is (lib/causal builds on this). Everything else goes to the cluster.
import { Etcd3, isRecoverableError, type IKeyValue, type IRequestOp, type IResponseOp } from 'etcd3'
import { circuitBreaker, ConsecutiveBreaker, handleWhen, noop } from 'cockatiel'
import { MetaError } from '../errors'
import { registerEngine } from './registry'
import { parseEtcdUrl, type EtcdTls } from './etcd-url'
import { checkTxn } from './request'
import { FAILPOINTS, failpointOn } from '../txn/failpoints'
import { withRetry, type RetryOptions } from './retry'
import {
  prefixEnd, toBuffer,
  type Bytes, type Compare, type GetManyResult, type GetResult, type KeyValue, type MemberStatus, type MetaStore, type Op, type RangeOptions,
  type RangeResult, type TxnResult, type Watch, type WatchEvent, type WatchHandlers,
} from './store'

export interface EtcdOptions extends RetryOptions {
  /** client endpoints, e.g. ['http://127.0.0.1:2379'] */
  endpoints: string[]
  /** the member that serves serializable reads, e.g. 'http://127.0.0.1:2381'; default any of endpoints */
  nearest?: string
  /** give up on the nearest member after this long (default 1 s): its callers can ask the cluster instead */
  nearestDeadlineMs?: number
  /** TLS (https endpoints): the CA and a client certificate (etcd-url.ts) */
  tls?: EtcdTls
  /** etcd user/password authentication */
  auth?: { username: string; password: string }
}

const compareTarget = { create: 'Create', mod: 'Mod', version: 'Version', value: 'Value' } as const
const compareField = { create: 'create_revision', mod: 'mod_revision', version: 'version', value: 'value' } as const
const compareResult = { '=': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const

export class EtcdStore implements MetaStore {
  readonly engine = 'etcd'
  readonly endpoints: string[]
  /** the member serializable reads go to, when one was named */
  readonly nearest?: string
  private readonly client: Etcd3
  /** the client of the nearest member, else the cluster's */
  private readonly local: Etcd3
  private readonly retry: RetryOptions
  private readonly localRetry: RetryOptions
  /** how members are reached (TLS, credentials): also for asking each member its status */
  private readonly access: Pick<EtcdOptions, 'tls' | 'auth'>
  private closed = false

  constructor(opts: EtcdOptions) {
    this.access = { tls: opts.tls, auth: opts.auth }
    this.endpoints = opts.endpoints
    this.nearest = opts.nearest
    this.retry = { deadlineMs: opts.deadlineMs, attemptMs: opts.attemptMs }
    const nearestMs = opts.nearestDeadlineMs ?? 1_000
    this.localRetry = { deadlineMs: nearestMs, attemptMs: Math.min(nearestMs, opts.attemptMs ?? nearestMs) }
    this.client = connect(opts.endpoints, opts)
    this.local = opts.nearest === undefined ? this.client : connect([opts.nearest], opts)
  }

  /** what inspect() and logs show of a store: its members, never the clients (which hold the password) */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `EtcdStore(${this.endpoints.join(',')})`
  }

  toJSON(): object {
    return { engine: this.engine, endpoints: this.endpoints }
  }

  static async open(opts: EtcdOptions): Promise<EtcdStore> {
    const store = new EtcdStore(opts)
    try {
      await store.call(o => store.client.kv.range({ key: Buffer.from([0]), limit: 1, serializable: true }, o))
      if (store.nearest !== undefined) await store.read(true, o => store.local.kv.range({ key: Buffer.from([0]), limit: 1, serializable: true }, o))
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  private call<T>(fn: (opts: { deadline: number }) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new MetaError('ECLOSED', 'etcd store is closed'))
    return withRetry(fn, classify, this.retry, `etcd ${this.endpoints.join(',')}`)
  }

  /** read runs a range call: a serializable one on the nearest member when there is one */
  private read<T>(serializable: boolean | undefined, fn: (opts: { deadline: number }) => Promise<T>): Promise<T> {
    if (!serializable || this.nearest === undefined) return this.call(fn)
    if (this.closed) return Promise.reject(new MetaError('ECLOSED', 'etcd store is closed'))
    return withRetry(fn, classify, this.localRetry, `etcd member ${this.nearest}`)
  }

  async get(key: Bytes, opts: { serializable?: boolean } = {}): Promise<GetResult> {
    const client = opts.serializable ? this.local : this.client
    const res = await this.read(opts.serializable, o => client.kv.range({ key: toBuffer(key), serializable: opts.serializable }, o))
    return { kv: res.kvs.length > 0 ? toKv(res.kvs[0]) : null, revision: Number(res.header.revision) }
  }

  /** getMany is one read-only transaction; serializable, on the nearest member, which answers it from its own state */
  async getMany(keys: Bytes[], opts: { serializable?: boolean } = {}): Promise<GetManyResult> {
    checkTxn([], keys.map(key => ({ type: 'get', key })), [])
    const client = opts.serializable ? this.local : this.client
    const success = keys.map(key => ({ request_range: { key: toBuffer(key), serializable: opts.serializable } }))
    const res = await this.read(opts.serializable, o => client.kv.txn({ success } as never, o))
    const kvs = (res.responses ?? []).map(r => {
      const found = r.response_range?.kvs ?? []
      return found.length > 0 ? toKv(found[0]) : null
    })
    return { kvs, revision: Number(res.header.revision) }
  }

  async range(prefix: Bytes, opts: RangeOptions = {}): Promise<RangeResult> {
    const p = toBuffer(prefix)
    let key = p.length === 0 ? Buffer.from([0]) : p
    if (opts.after !== undefined) {
      const next = Buffer.concat([toBuffer(opts.after), Buffer.alloc(1)])
      if (next.compare(key) > 0) key = next
    }
    const end = prefixEnd(p)
    const client = opts.serializable ? this.local : this.client
    const res = await this.read(opts.serializable, o => client.kv.range({
      key,
      range_end: end.length === 0 ? Buffer.from([0]) : end,
      limit: opts.limit ?? 0,
      serializable: opts.serializable,
      revision: opts.revision,
    }, o))
    return { kvs: res.kvs.map(toKv), more: res.more, revision: opts.revision ?? Number(res.header.revision) }
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    checkTxn(compares, success, failure)
    const request = {
      compare: compares.map(c => ({
        key: toBuffer(c.key),
        target: compareTarget[c.target],
        result: compareResult[c.op],
        [compareField[c.target]]: c.target === 'value' ? toBuffer(c.value as Bytes) : String(c.value),
      })),
      success: success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    }
    // etcd3's typings want enum numbers; the proto loader accepts the enum names too.
    let replyLost = success.some(op => op.type !== 'get') && failpointOn(FAILPOINTS.replyLost)
    const res = await this.call(async o => {
      const r = await this.client.kv.txn(request as never, o)
      if (!replyLost) return r
      // the failpoint: the commit applied, its reply is lost, and the retry policy sends it again
      replyLost = false
      throw new Error(`request timed out (failpoint ${FAILPOINTS.replyLost}: the reply was dropped)`)
    })
    const ops = res.succeeded ? success : failure
    return {
      succeeded: res.succeeded,
      revision: Number(res.header.revision),
      results: (res.responses ?? []).map((r, i) => fromResponseOp(ops[i], r)),
    }
  }

  async watch(prefix: Bytes, handlers: WatchHandlers, fromRevision?: number): Promise<Watch> {
    if (fromRevision !== undefined) await this.assertNotCompacted(fromRevision)
    let builder = this.client.watch().prefix(toBuffer(prefix))
    if (fromRevision !== undefined) builder = builder.startRevision(String(fromRevision))
    const watcher = await builder.create()
    watcher.on('data', res => {
      // One response may carry several revisions: hand them over one revision at a time.
      let batch: WatchEvent[] = []
      let rev = 0
      for (const e of res.events) {
        const kv = toKv(e.kv)
        if (kv.modRevision !== rev && batch.length > 0) {
          handlers.onEvents(batch, rev)
          batch = []
        }
        rev = kv.modRevision
        batch.push({ type: e.type === 'Put' ? 'put' : 'delete', kv })
      }
      if (batch.length > 0) handlers.onEvents(batch, rev)
    })
    watcher.on('error', err => handlers.onError?.(classify(err)))
    return { close: async () => { await watcher.cancel() } }
  }

  // A watch from a compacted revision is cancelled by etcd without a reason we can read;
  // asking for a read at that revision gives the clear answer first.
  private async assertNotCompacted(revision: number): Promise<void> {
    try {
      await this.call(o => this.client.kv.range({ key: Buffer.from([0]), limit: 1, revision: String(revision) }, o))
    } catch (err) {
      if (err instanceof MetaError && err.code === 'ECOMPACTED') {
        throw new MetaError('ECOMPACTED', `cannot watch from revision ${revision}: ${err.message}`)
      }
      // a future revision is fine for a watch: it waits for it
      if (!(err instanceof MetaError && /future revision/.test(err.message))) throw err
    }
  }

  async grant(ttlSeconds: number): Promise<number> {
    // etcd picks 63-bit ids, which a JS number cannot hold; we pick one below 2^53 ourselves.
    const id = 1 + Math.floor(Math.random() * (2 ** 53 - 2))
    const res = await this.call(o => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: String(id) }, o))
    if (res.error) throw new MetaError('EINVAL', `lease grant refused: ${res.error}`)
    return id
  }

  async keepAlive(lease: number): Promise<void> {
    const res = await this.call(async o => {
      const stream = await this.client.leaseClient.leaseKeepAlive(o)
      try {
        return await new Promise<{ TTL: string }>((resolve, reject) => {
          stream.on('data', resolve)
          stream.on('error', reject)
          stream.write({ ID: String(lease) })
        })
      } finally {
        stream.end()
      }
    })
    if (Number(res.TTL) <= 0) throw new MetaError('ELEASE', `lease ${lease} not found or expired`)
  }

  async revoke(lease: number): Promise<void> {
    await this.call(o => this.client.leaseClient.leaseRevoke({ ID: String(lease) }, o))
  }

  /** sync has nothing to do: etcd acknowledges a commit once a quorum has it on disk */
  async sync(): Promise<void> {}

  async compact(revision: number): Promise<void> {
    await this.call(o => this.client.kv.compact({ revision: String(revision), physical: true }, o))
  }

  /** members asks every member of the cluster for its status, each on its own client URL */
  async members(): Promise<MemberStatus[]> {
    const { members } = await this.call(o => this.client.cluster.memberList({}, o))
    const out = await Promise.all(members.map(async (m): Promise<MemberStatus & { id: string }> => {
      const endpoint = m.clientURLs[0] ?? m.peerURLs[0] ?? ''
      const one = connect([endpoint], this.access)
      try {
        const s = await withRetry(o => one.maintenance.status(o), classify, { deadlineMs: 2_000, attemptMs: 2_000 }, `etcd member ${endpoint}`)
        return { id: m.ID, name: m.name, endpoint, reachable: true, leader: s.leader === m.ID, revision: Number(s.header.revision) }
      } catch (err) {
        return { id: m.ID, name: m.name, endpoint, reachable: false, leader: false, error: (err as Error).message }
      } finally {
        one.close()
      }
    }))
    const newest = Math.max(0, ...out.map(m => m.revision ?? 0))
    return out.map(({ id: _id, ...m }) => (m.revision === undefined ? m : { ...m, lag: newest - m.revision }))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.client.close()
    if (this.local !== this.client) this.local.close()
  }
}

/** a member that failed a call (refused, reset, hung past its attempt) is passed over for this long */
const PASS_OVER_MS = 3_000

function connect(hosts: string[], { tls, auth }: Pick<EtcdOptions, 'tls' | 'auth'>): Etcd3 {
  return new Etcd3({
    hosts,
    // grpc wants a CA: without one named, the system's (an empty buffer means the default roots)
    credentials: tls && { rootCertificate: tls.rootCertificate ?? Buffer.alloc(0), privateKey: tls.privateKey, certChain: tls.certChain },
    auth,
    // With several members, one failure is enough to pass a member over (etcd3's default waits
    // for three, so a stopped leader could take three whole attempts); its next call is a probe.
    faultHandling: {
      global: noop,
      ...(hosts.length > 1 && { host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: PASS_OVER_MS, breaker: new ConsecutiveBreaker(1) }) }),
    },
    // Large values are allowed up to etcd's own request limit, which we check first.
    grpcOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
  })
}

function toRequestOp(op: Op): IRequestOp {
  switch (op.type) {
    case 'put':
      return { request_put: { key: toBuffer(op.key), value: toBuffer(op.value), lease: op.lease ? String(op.lease) : undefined } }
    case 'delete':
      return { request_delete_range: { key: toBuffer(op.key) } }
    case 'deletePrefix': {
      const p = toBuffer(op.prefix)
      const end = prefixEnd(p)
      return { request_delete_range: { key: p.length === 0 ? Buffer.from([0]) : p, range_end: end.length === 0 ? Buffer.from([0]) : end } }
    }
    case 'get':
      return { request_range: { key: toBuffer(op.key) } }
  }
}

function fromResponseOp(op: Op | undefined, r: IResponseOp): KeyValue | null | number {
  if (op?.type === 'get') {
    const kvs = r.response_range?.kvs ?? []
    return kvs.length > 0 ? toKv(kvs[0]) : null
  }
  if (op?.type === 'delete' || op?.type === 'deletePrefix') return Number(r.response_delete_range?.deleted ?? 0)
  return null
}

function toKv(kv: IKeyValue): KeyValue {
  return {
    key: kv.key,
    value: kv.value ?? Buffer.alloc(0),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: Number(kv.lease ?? 0),
  }
}

const permanent: Array<[RegExp, MetaError['code']]> = [
  [/compacted/, 'ECOMPACTED'],
  [/request is too large|larger than max|message larger/i, 'ETOOLARGE'],
  [/too many operations in txn/, 'ETOOMANYOPS'],
  [/requested lease not found/, 'ELEASE'],
  [/duplicate key|future revision|invalid/i, 'EINVAL'],
]

const transient = /leader changed|no leader|not leader|request timed out|timed out|unavailable|too many requests|ECONNREFUSED|ECONNRESET|deadline exceeded|connect|stream removed|cancelled|circuit breaker/i

/** classify turns an etcd3 / gRPC failure into a MetaError, marking the transient ones. */
export function classify(err: unknown): MetaError {
  if (err instanceof MetaError) return err
  const message = err instanceof Error ? err.message : String(err)
  for (const [pattern, code] of permanent) {
    if (pattern.test(message)) return new MetaError(code, `etcd: ${message}`, { cause: err })
  }
  const recoverable = (err instanceof Error && isRecoverableError(err)) || transient.test(message)
  return new MetaError('EUNAVAILABLE', `etcd: ${message}`, { recoverable, cause: err })
}

// etcd:// and etcds:// (TLS): the members, the nearest, certificates and user (etcd-url.ts)
for (const scheme of ['etcd', 'etcds'] as const) {
  registerEngine(scheme, async (location, _url, opts) => EtcdStore.open({ ...parseEtcdUrl(scheme, location), ...opts }))
}
