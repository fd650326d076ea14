// The inode records this mount read or wrote lately, trusted for as long as the kernel trusts
// attributes (the mount's attribute timeout): a stat right after a create, a write's commit or
// another stat costs no store read. Each entry carries the mod revision of its record, so an
// older read never replaces a newer record. Other mounts' changes show after at most the
// timeout, as with the kernel's own attribute cache; nothing is kept until trust() is called.
import { LRUCache } from 'lru-cache'
import { ENOENT } from '../errors'
import { toBuffer, type Op } from '../meta/store'
import { lookedUp } from '../metrics/counters'
import { isIntent } from '../txn/intent'
import { decodeInode, encodeInode, type Inode } from './inode'
import type { Causality } from './causality'
import type { Keys } from './schema'
import type { Tx } from './tx'

interface Entry {
  inode: Inode
  rev: number
}

export class InodeCache {
  private entries: LRUCache<number, Entry> | undefined

  constructor(private readonly keys: Keys, private readonly causality?: Causality) {}

  /** put writes inode i in tx, stamped with this mount's clock when it reads causally */
  put(tx: Tx, i: Inode): void {
    if (this.causality) i.deps = this.causality.token()
    tx.put(this.keys.inode(i.ino), encodeInode(i))
  }

  /** trust keeps records for ttlMs from now on (0: keep none); what was kept is dropped */
  trust(ttlMs: number): void {
    this.entries = ttlMs > 0 ? new LRUCache({ max: 100_000, ttl: ttlMs }) : undefined
  }

  /** get returns the cached record (shared: do not change it) */
  get(ino: number): Inode | undefined {
    return lookedUp('inode', this.entries?.get(ino))?.inode
  }

  /** read reads inode ino in tx (ENOENT when absent); what it finds, or does not, refreshes the cache */
  async read(tx: Tx, ino: number): Promise<Inode> {
    const key = this.keys.inode(ino)
    const [raw] = await tx.get(key)
    if (!raw) {
      this.forget(ino)
      throw ENOENT(`inode ${ino}`)
    }
    const i = decodeInode(raw)
    if (i.deps) this.causality?.dependsOn(i.deps)
    this.offer(i, tx.revisionOf(key) ?? 0)
    return i
  }

  /**
   * readAssuming is read, except that a cached record is taken as read at the revision it was
   * cached at: no round trip, and the commit still fails if the record changed since. After a
   * conflict, only a record newer than the one the conflicting run guarded is taken (this
   * mount's own commits refresh the cache; other mounts' do not). Returns a copy the caller may change.
   */
  async readAssuming(tx: Tx, ino: number): Promise<Inode> {
    return this.assume(tx, ino) ?? this.read(tx, ino)
  }

  /** assume is readAssuming without the read: undefined when it would have to ask the store */
  assume(tx: Tx, ino: number): Inode | undefined {
    const key = this.keys.inode(ino)
    const have = lookedUp('inode', this.entries?.get(ino))
    const before = tx.guardedBefore(key)
    // what tx read already is the record to use (and the one its commit is guarded on)
    if (!have || tx.revisionOf(key) !== undefined || (before !== undefined && have.rev <= before)) return undefined
    tx.assume(key, encodeInode(have.inode), have.rev)
    return { ...have.inode }
  }

  /** offer caches (a copy of) a record read or written at revision rev, unless a newer one is cached */
  offer(inode: Inode, rev: number): void {
    const have = this.entries?.get(inode.ino)
    // a copy: the caller may go on to change its record for a write
    if (!have || have.rev <= rev) this.entries?.set(inode.ino, { inode: { ...inode }, rev })
  }

  /** forget drops inode ino (it was found missing) */
  forget(ino: number): void {
    this.entries?.delete(ino)
  }

  /** observe follows a committed transaction of this mount */
  observe(ops: Op[], revision: number): void {
    if (!this.entries) return
    for (const op of ops) {
      if (op.type !== 'put' && op.type !== 'delete') continue
      const ino = this.keys.inodeOf(op.key.toString())
      if (ino === undefined) continue
      const value = op.type === 'put' ? toBuffer(op.value) : undefined
      // a cross-group transaction's envelope holds the record for now: forget the inode meanwhile
      if (value && !isIntent(value)) this.offer(decodeInode(value), revision)
      else this.forget(ino)
    }
  }
}
