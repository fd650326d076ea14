// The embedded engine: one process, one SQLite file (better-sqlite3), the same semantics as
// etcd: one revision per writing transaction, create/mod revisions and versions per key,
// a history table that feeds watches from any uncompacted revision, and leases whose keys
// vanish when they expire. See docs/metadata-engines.md for why SQLite.
//
// One process owns a store (owner-lock.ts) and is the only one to write it; other processes
// may open it read-only beside the owner (status, info, the web page beside a mount): WAL
// lets them read a consistent snapshot per call while the owner commits.
//
// Tables:
//   kv(key, value, create_rev, mod_rev, version, lease)      the current keys
//   history(rev, seq, type, key, value, create_rev, version, lease)  every change, for watch
//   lease(id, ttl, expires)                                   live leases, expiry in ms
//   state(name, value)                                        'revision', 'compacted', 'lease_seq'
import Database from 'better-sqlite3'
import { existsSync, mkdirSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { ConfigError, MetaError } from '../errors'
import { FAILPOINTS, failpointOn } from '../txn/failpoints'
import { OwnerLock } from './owner-lock'
import { registerEngine } from './registry'
import { checkTxn } from './request'
import {
  prefixEnd, toBuffer,
  type Bytes, type Compare, type GetManyResult, type GetResult, type KeyValue, type MemberStatus, type MetaStore, type Op, type RangeOptions,
  type RangeResult, type TxnResult, type Watch, type WatchEvent, type WatchHandlers,
} from './store'

interface KvRow { key: Buffer; value: Buffer; create_rev: number; mod_rev: number; version: number; lease: number }
interface HistoryRow extends KvRow { rev: number; type: number }

const PUT = 0
const DELETE = 1
const LEASE_SWEEP_MS = 100

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL, create_rev INTEGER NOT NULL,
  mod_rev INTEGER NOT NULL, version INTEGER NOT NULL, lease INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_lease ON kv(lease) WHERE lease != 0;
CREATE TABLE IF NOT EXISTS history (rev INTEGER NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL,
  key BLOB NOT NULL, value BLOB NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL,
  version INTEGER NOT NULL, lease INTEGER NOT NULL, PRIMARY KEY (rev, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lease (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO state VALUES ('revision', 1), ('compacted', 0), ('lease_seq', 0);
`

interface Watcher {
  start: Buffer
  end: Buffer
  handlers: WatchHandlers
  queue: Array<{ events: WatchEvent[]; revision: number }>
  scheduled: boolean
  closed: boolean
}

export interface EmbeddedOptions {
  /** path of the database file; ':memory:' for a throwaway store */
  path: string
  /** keep this many revisions of history for watches; older ones are compacted (0: keep all) */
  historyRevisions?: number
  /** the file must exist: it is never created, nor its directory (read-only commands) */
  mustExist?: boolean
  /** only read, beside the process that owns the store (implies mustExist): writes, leases and watches are refused */
  readOnly?: boolean
}

export class EmbeddedStore implements MetaStore {
  readonly engine = 'embedded'
  readonly path: string
  private readonly db: Database.Database
  private readonly watchers = new Set<Watcher>()
  /** the lease sweeper; only a store that writes has one */
  private readonly sweeper: NodeJS.Timeout | undefined
  private readonly historyRevisions: number
  private closed = false
  private readonly stmt: ReturnType<EmbeddedStore['prepare']>
  /** held by the owner; a read-only store (and one in memory) has none */
  private readonly owner: OwnerLock | undefined
  private readonly readOnly: boolean

  private constructor(opts: EmbeddedOptions) {
    this.path = opts.path
    this.historyRevisions = opts.historyRevisions ?? 100_000
    this.readOnly = opts.readOnly === true
    const mustExist = opts.mustExist === true || opts.readOnly === true
    if (opts.path !== ':memory:' && !mustExist) mkdirSync(dirname(opts.path), { recursive: true })
    if (mustExist && !existsSync(opts.path)) throw new ConfigError('meta', `no metadata store at ${opts.path}`)
    try {
      this.owner = opts.readOnly || opts.path === ':memory:' ? undefined : OwnerLock.take(opts.path)
      // A reader waits out the owner's brief WAL-index locks; the owner never waits.
      this.db = new Database(opts.path, { timeout: opts.readOnly ? 2_000 : 0, fileMustExist: mustExist, readonly: opts.readOnly === true })
      // an existing file that is not a store (an empty one, another database) is not made one
      if (mustExist && !this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'state'").get()) {
        this.db.close()
        throw new ConfigError('meta', `${opts.path} is not a Meridian metadata store`)
      }
      if (!opts.readOnly) {
        this.db.pragma('journal_mode = WAL')
        // Commits reach the WAL file at once (a crashed process loses nothing) and the disk at
        // sync() or a checkpoint: an fsync per commit on the event loop cost every operation 0.4 ms.
        this.db.pragma('synchronous = NORMAL')
        this.db.exec(SCHEMA)
      }
    } catch (err) {
      this.owner?.release()
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        // a store an older Meridian holds with SQLite's own exclusive lock
        throw new MetaError('ELOCKED', `embedded store ${opts.path} is in use by another process`, { cause: err })
      }
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new ConfigError('meta', `${opts.path} is not a metadata store (${(err as Error).message})`)
      throw err
    }
    this.stmt = this.prepare()
    if (this.readOnly) return
    // As etcd does when a leader takes over, give every lease a full TTL after a restart.
    this.db.prepare('UPDATE lease SET expires = ? + ttl * 1000').run(Date.now())
    this.sweeper = setInterval(() => this.expireLeases(), LEASE_SWEEP_MS)
    this.sweeper.unref()
  }

  static async open(opts: EmbeddedOptions): Promise<EmbeddedStore> {
    return new EmbeddedStore(opts)
  }

  private prepare() {
    const db = this.db
    return {
      getState: db.prepare<[string], { value: number }>('SELECT value FROM state WHERE name = ?'),
      setState: db.prepare('UPDATE state SET value = ? WHERE name = ?'),
      get: db.prepare<[Buffer], KvRow>('SELECT * FROM kv WHERE key = ?'),
      rangeFrom: db.prepare<[Buffer, number], KvRow>('SELECT * FROM kv WHERE key >= ? ORDER BY key LIMIT ?'),
      rangeBetween: db.prepare<[Buffer, Buffer, number], KvRow>('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?'),
      put: db.prepare('INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?, ?, ?)'),
      del: db.prepare('DELETE FROM kv WHERE key = ?'),
      log: db.prepare('INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      historyFrom: db.prepare<[number], HistoryRow>('SELECT * FROM history WHERE rev >= ? ORDER BY rev, seq'),
      forget: db.prepare('DELETE FROM history WHERE rev < ?'),
      lease: db.prepare<[number], { id: number; ttl: number; expires: number }>('SELECT * FROM lease WHERE id = ?'),
      addLease: db.prepare('INSERT INTO lease VALUES (?, ?, ?)'),
      renewLease: db.prepare('UPDATE lease SET expires = ? WHERE id = ?'),
      dropLease: db.prepare('DELETE FROM lease WHERE id = ?'),
      expired: db.prepare<[number], { id: number }>('SELECT id FROM lease WHERE expires <= ?'),
      leaseKeys: db.prepare<[number], KvRow>('SELECT * FROM kv WHERE lease = ?'),
    }
  }

  private revision(): number {
    return this.stmt.getState.get('revision')!.value
  }

  private live(): void {
    if (this.closed) throw new MetaError('ECLOSED', `embedded store ${this.path} is closed`)
  }

  /** writable: live, and not opened read-only */
  private writable(what: string): void {
    this.live()
    if (this.readOnly) throw new MetaError('EREADONLY', `embedded store ${this.path} is open read-only (beside the process that owns it): cannot ${what}`)
  }

  /** snapshot runs reads on one snapshot: the owner's commits all run on this event loop, a reader's land at any time */
  private snapshot<T>(read: () => T): T {
    return this.readOnly ? this.db.transaction(read).deferred() : read()
  }

  async get(key: Bytes): Promise<GetResult> {
    this.live()
    return this.snapshot(() => {
      const row = this.stmt.get.get(toBuffer(key))
      return { kv: row ? toKv(row) : null, revision: this.revision() }
    })
  }

  async getMany(keys: Bytes[]): Promise<GetManyResult> {
    this.live()
    checkTxn([], keys.map(key => ({ type: 'get', key })), [])
    return this.snapshot(() => ({ kvs: keys.map(key => this.stmt.get.get(toBuffer(key))).map(row => (row ? toKv(row) : null)), revision: this.revision() }))
  }

  async range(prefix: Bytes, opts: RangeOptions = {}): Promise<RangeResult> {
    this.live()
    return this.snapshot(() => this.rangeNow(prefix, opts))
  }

  private rangeNow(prefix: Bytes, opts: RangeOptions): RangeResult {
    // this engine answers from its current state: a read at another revision cannot be served
    if (opts.revision !== undefined && opts.revision !== this.revision()) {
      throw new MetaError('ECOMPACTED', `the embedded store reads only its current revision ${this.revision()}, not ${opts.revision}`)
    }
    const p = toBuffer(prefix)
    const end = prefixEnd(p)
    let start = p
    if (opts.after !== undefined) {
      // the first key after `after` is after + 0x00
      const next = Buffer.concat([toBuffer(opts.after), Buffer.alloc(1)])
      if (next.compare(start) > 0) start = next
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1
    const fetch = limit > 0 ? limit + 1 : -1
    const rows = end.length === 0 ? this.stmt.rangeFrom.all(start, fetch) : this.stmt.rangeBetween.all(start, end, fetch)
    const more = limit > 0 && rows.length > limit
    if (more) rows.length = limit
    return { kvs: rows.map(toKv), more, revision: this.revision() }
  }

  async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    if ([...success, ...failure].some(op => op.type !== 'get')) this.writable('commit a write')
    else this.live()
    checkTxn(compares, success, failure)
    const run = this.db.transaction(() => {
      const succeeded = compares.every(c => this.holds(c))
      const writer = new RevisionWriter(this, this.revision() + 1)
      const results = (succeeded ? success : failure).map(op => writer.apply(op))
      return { succeeded, revision: writer.commit(), results }
    })
    // the failpoint: the commit applies, its reply is lost, and the very request comes again
    if (success.some(op => op.type !== 'get') && failpointOn(FAILPOINTS.replyLost)) run.immediate()
    return this.readOnly ? run.deferred() : run.immediate()
  }

  private holds(c: Compare): boolean {
    const row = this.stmt.get.get(toBuffer(c.key))
    if (c.target === 'value') {
      if (!row) return false // etcd: a value compare on a missing key is false
      return cmp(row.value.compare(toBuffer(c.value as Bytes)), c.op)
    }
    const actual = !row ? 0 : c.target === 'create' ? row.create_rev : c.target === 'mod' ? row.mod_rev : row.version
    return cmp(actual - (c.value as number), c.op)
  }

  /** internal to RevisionWriter */
  putRow(rev: number, seq: number, key: Buffer, value: Buffer, lease: number): KvRow {
    if (lease && !this.stmt.lease.get(lease)) throw new MetaError('ELEASE', `lease ${lease} not found`)
    const old = this.stmt.get.get(key)
    const row: KvRow = {
      key, value, lease,
      create_rev: old ? old.create_rev : rev,
      mod_rev: rev,
      version: old ? old.version + 1 : 1,
    }
    this.stmt.put.run(key, value, row.create_rev, row.mod_rev, row.version, lease)
    this.stmt.log.run(rev, seq, PUT, key, value, row.create_rev, rev, row.version, lease)
    return row
  }

  /** internal to RevisionWriter; returns the number of keys deleted */
  deleteRows(rev: number, seq: number, rows: KvRow[]): KvRow[] {
    const gone: KvRow[] = []
    for (const old of rows) {
      this.stmt.del.run(old.key)
      this.stmt.log.run(rev, seq + gone.length, DELETE, old.key, Buffer.alloc(0), 0, rev, 0, 0)
      gone.push({ key: old.key, value: Buffer.alloc(0), create_rev: 0, mod_rev: rev, version: 0, lease: 0 })
    }
    return gone
  }

  /** internal to RevisionWriter */
  rowsWithPrefix(prefix: Buffer): KvRow[] {
    const end = prefixEnd(prefix)
    return end.length === 0 ? this.stmt.rangeFrom.all(prefix, -1) : this.stmt.rangeBetween.all(prefix, end, -1)
  }

  /** internal to RevisionWriter */
  row(key: Buffer): KvRow | undefined {
    return this.stmt.get.get(key)
  }

  /** internal to RevisionWriter: record the new revision and tell watchers */
  commitRevision(rev: number, events: WatchEvent[]): void {
    this.stmt.setState.run(rev, 'revision')
    if (this.historyRevisions > 0 && rev % 1000 === 0) {
      const keep = rev - this.historyRevisions
      if (keep > this.stmt.getState.get('compacted')!.value) this.compactTo(keep)
    }
    for (const w of this.watchers) {
      const mine = events.filter(e => inRange(e.kv.key, w.start, w.end))
      if (mine.length > 0) this.enqueue(w, mine, rev)
    }
  }

  private enqueue(w: Watcher, events: WatchEvent[], revision: number): void {
    w.queue.push({ events, revision })
    if (w.scheduled) return
    w.scheduled = true
    // Deliver after the transaction returns, in order, never from inside the caller's stack.
    setImmediate(() => {
      w.scheduled = false
      const batches = w.queue.splice(0)
      for (const b of batches) {
        if (w.closed) return
        w.handlers.onEvents(b.events, b.revision)
      }
    })
  }

  async watch(prefix: Bytes, handlers: WatchHandlers, fromRevision?: number): Promise<Watch> {
    // a reader's watch would never hear of the owner's commits, which reach only the owner's watchers
    this.writable('watch')
    const start = toBuffer(prefix)
    const w: Watcher = { start, end: prefixEnd(start), handlers, queue: [], scheduled: false, closed: false }
    if (fromRevision !== undefined && fromRevision <= this.revision()) {
      const compacted = this.stmt.getState.get('compacted')!.value
      if (fromRevision < compacted) {
        throw new MetaError('ECOMPACTED', `cannot watch from revision ${fromRevision}: history before ${compacted} was compacted`)
      }
      // Replay and registration happen in one synchronous step: no change can slip between.
      let batch: WatchEvent[] = []
      let rev = 0
      for (const row of this.stmt.historyFrom.iterate(Math.max(fromRevision, 1))) {
        if (row.rev !== rev && batch.length > 0) {
          this.enqueue(w, batch, rev)
          batch = []
        }
        rev = row.rev
        if (inRange(row.key, w.start, w.end)) batch.push(historyEvent(row))
      }
      if (batch.length > 0) this.enqueue(w, batch, rev)
    }
    this.watchers.add(w)
    return {
      close: async () => {
        w.closed = true
        this.watchers.delete(w)
      },
    }
  }

  async grant(ttlSeconds: number): Promise<number> {
    this.writable('grant a lease')
    if (!(ttlSeconds >= 1)) throw new MetaError('EINVAL', `lease TTL must be at least 1 second, got ${ttlSeconds}`)
    return this.db.transaction(() => {
      const id = this.stmt.getState.get('lease_seq')!.value + 1
      this.stmt.setState.run(id, 'lease_seq')
      this.stmt.addLease.run(id, Math.ceil(ttlSeconds), Date.now() + Math.ceil(ttlSeconds) * 1000)
      return id
    }).immediate()
  }

  async keepAlive(lease: number): Promise<void> {
    this.writable('renew a lease')
    const row = this.stmt.lease.get(lease)
    if (!row) throw new MetaError('ELEASE', `lease ${lease} not found or expired`)
    this.stmt.renewLease.run(Date.now() + row.ttl * 1000, lease)
  }

  async revoke(lease: number): Promise<void> {
    this.writable('revoke a lease')
    if (!this.stmt.lease.get(lease)) throw new MetaError('ELEASE', `lease ${lease} not found or expired`)
    this.db.transaction(() => this.dropLease(lease)).immediate()
  }

  private dropLease(lease: number): void {
    const writer = new RevisionWriter(this, this.revision() + 1)
    writer.deleteAll(this.stmt.leaseKeys.all(lease))
    writer.commit()
    this.stmt.dropLease.run(lease)
  }

  private expireLeases(): void {
    if (this.closed) return
    const expired = this.stmt.expired.all(Date.now())
    for (const { id } of expired) this.db.transaction(() => this.dropLease(id)).immediate()
  }

  async compact(revision: number): Promise<void> {
    this.writable('compact')
    const current = this.revision()
    if (revision > current) throw new MetaError('EINVAL', `cannot compact to revision ${revision}: the store is at ${current}`)
    const compacted = this.stmt.getState.get('compacted')!.value
    if (revision <= compacted) throw new MetaError('ECOMPACTED', `revision ${revision} is already compacted (compacted to ${compacted})`)
    this.compactTo(revision)
  }

  private compactTo(revision: number): void {
    this.stmt.forget.run(revision)
    this.stmt.setState.run(revision, 'compacted')
  }

  async sync(): Promise<void> {
    this.live()
    if (this.path === ':memory:' || this.readOnly) return
    // fsync of the WAL from libuv's thread pool: every frame written so far is durable, and
    // frames a checkpoint already moved are in the database file, which SQLite synced then.
    const wal = await open(`${this.path}-wal`, 'r+').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined // no WAL: everything is in the database file
      throw err
    })
    if (!wal) return
    try {
      await wal.sync()
    } finally {
      await wal.close()
    }
  }

  /** members: the one replica, this file, always current */
  async members(): Promise<MemberStatus[]> {
    this.live()
    return [{ name: 'embedded', endpoint: this.path, reachable: true, leader: true, revision: this.revision(), lag: 0 }]
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.sweeper)
    for (const w of this.watchers) w.closed = true
    this.watchers.clear()
    this.db.close()
    // after the store's own close, which checkpoints the WAL: the next owner finds it done
    this.owner?.release()
  }
}

// Applies one branch of a transaction at one revision; the revision is spent only if a
// write changed something (as in etcd, deleting a missing key writes nothing).
class RevisionWriter {
  private seq = 0
  private readonly events: WatchEvent[] = []
  constructor(private readonly store: EmbeddedStore, private readonly rev: number) {}

  apply(op: Op): KeyValue | null | number {
    switch (op.type) {
      case 'get': {
        const row = this.store.row(toBuffer(op.key))
        return row ? toKv(row) : null
      }
      case 'put': {
        const row = this.store.putRow(this.rev, this.seq++, toBuffer(op.key), toBuffer(op.value), op.lease ?? 0)
        this.events.push({ type: 'put', kv: toKv(row) })
        return null
      }
      case 'delete': {
        const row = this.store.row(toBuffer(op.key))
        return this.deleteAll(row ? [row] : [])
      }
      case 'deletePrefix':
        return this.deleteAll(this.store.rowsWithPrefix(toBuffer(op.prefix)))
    }
  }

  deleteAll(rows: KvRow[]): number {
    const gone = this.store.deleteRows(this.rev, this.seq, rows)
    this.seq += gone.length
    for (const row of gone) this.events.push({ type: 'delete', kv: toKv(row) })
    return gone.length
  }

  /** commit returns the store's revision after the transaction */
  commit(): number {
    if (this.events.length === 0) return this.rev - 1
    this.store.commitRevision(this.rev, this.events)
    return this.rev
  }
}

function toKv(row: KvRow): KeyValue {
  return {
    key: row.key, value: row.value, createRevision: row.create_rev, modRevision: row.mod_rev,
    version: row.version, lease: row.lease,
  }
}

function historyEvent(row: HistoryRow): WatchEvent {
  return { type: row.type === PUT ? 'put' : 'delete', kv: toKv(row) }
}

function inRange(key: Buffer, start: Buffer, end: Buffer): boolean {
  return key.compare(start) >= 0 && (end.length === 0 || key.compare(end) < 0)
}

function cmp(diff: number, op: Compare['op']): boolean {
  switch (op) {
    case '=': return diff === 0
    case '!=': return diff !== 0
    case '<': return diff < 0
    case '>': return diff > 0
  }
}

registerEngine('sqlite', async (location, _url, opts) => {
  const path = resolve(location)
  return EmbeddedStore.open({ path, mustExist: opts.existing, readOnly: opts.readOnly })
})
