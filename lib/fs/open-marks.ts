// Open marks: `open/<ino>/<sid>`, bound to the session's lease, says that this mount has the
// inode open, so that an unlink in any mount keeps a nameless inode until the last close
// everywhere. Writing a mark costs a commit and removing it another, and most files are
// opened again soon after they are closed (a build reads what it just wrote), so a mark
// outlives the last close here by up to LINGER_MS: an open within that time commits nothing,
// and lingering marks are removed in the background, many per transaction. A lingering mark
// only delays the freeing of an inode that another mount unlinked after our last close; one
// already gone at the last close (this mount watches the gone/ keys) is released at once.
import { log } from '../log'
import type { MetaStore, Watch } from '../meta/store'
import type { Keys } from './schema'
import type { Session } from './session'
import { transact, type Tx } from './tx'

/** how long a mark stays after the last close */
const LINGER_MS = 10_000
/** at most this many lingering marks; the oldest go first beyond it */
const MAX_LINGERING = 10_000
/** marks removed per transaction (two compares and one op each, under the 128-op limit) */
const BATCH = 50

export interface MarkOwner {
  /** the session the marks belong to (its sid and lease change when a lost lease is replaced) */
  session: Session
  /** isOpen tells whether the mount has the inode open (or is opening it) */
  isOpen(ino: number): boolean
  /** reap frees a nameless inode if no mount has it open any more */
  reap(ino: number): Promise<void>
}

export class OpenMarks {
  /** inodes whose mark this session has committed: open here, or lingering */
  private readonly held = new Set<number>()
  /** lingering marks, oldest first: inode -> when its last handle here closed */
  private readonly lingering = new Map<number, number>()
  /** held inodes that some mount left without names (from the watch on gone/) */
  private readonly goneElsewhere = new Set<number>()
  private watch: Watch | undefined
  private readonly timer: NodeJS.Timeout
  private sweeping: Promise<void> = Promise.resolve()

  constructor(private readonly store: MetaStore, private readonly keys: Keys, private readonly owner: MarkOwner) {
    this.timer = setInterval(() => this.sweep(), LINGER_MS / 2)
    this.timer.unref()
  }

  /** watchGone starts following the gone/ keys; until it runs (or if the watch fails) a last close reads its inode's gone key */
  async watchGone(): Promise<void> {
    const prefix = this.keys.goneAll()
    this.watch = await this.store.watch(prefix, {
      onEvents: events => {
        for (const { type, kv } of events) {
          const ino = parseInt(kv.key.subarray(prefix.length).toString(), 16)
          if (type === 'delete') this.goneElsewhere.delete(ino)
          else if (this.held.has(ino)) this.goneElsewhere.add(ino)
        }
      },
      onError: err => {
        log.warn({ err }, 'open marks: the watch on gone inodes stopped; last closes will read instead')
        this.watch = undefined
      },
    })
  }

  /** has tells whether this session's mark on ino is committed, so an open need not write it */
  has(ino: number): boolean {
    return this.held.has(ino)
  }

  /** put writes the mark in tx; call committed() once tx has committed */
  put(tx: Tx, ino: number): void {
    tx.put(this.mine(ino), '', this.owner.session.lease)
  }

  committed(ino: number): void {
    this.held.add(ino)
    this.lingering.delete(ino)
  }

  /** closed: the last handle here closed; goneHere says this mount took the inode's last name */
  async closed(ino: number, goneHere: boolean): Promise<void> {
    if (goneHere || this.goneElsewhere.has(ino) || (!this.watch && (await this.store.get(this.keys.gone(ino))).kv)) {
      return this.release([ino])
    }
    this.lingering.delete(ino)
    this.lingering.set(ino, Date.now())
    if (this.lingering.size > MAX_LINGERING) this.sweep()
  }

  /**
   * othersAfterUnlink runs inside the transaction that drops the last name of ino, which this
   * mount does not have open: it deletes our lingering mark, if any, and lists the marks of
   * other sessions (the inode must stay while there are any). A cross-group transaction
   * cannot write a key bound to a lease (across): then our mark is listed with the others, the
   * inode stays nameless, and releaseGone lets it go once the transaction has committed.
   */
  async othersAfterUnlink(tx: Tx, ino: number, across = false): Promise<string[]> {
    const mine = this.mine(ino)
    const { kvs } = await this.store.range(this.keys.opens(ino))
    const marks = kvs.map(kv => kv.key.toString())
    const own = kvs.find(kv => kv.key.toString() === mine)
    if (across) return marks
    if (own) {
      // guarded as read: an open here that writes it again makes this transaction run again
      tx.assume(mine, own.value, own.modRevision)
      tx.delete(mine)
      this.forget(ino)
    }
    return marks.filter(k => k !== mine)
  }

  /**
   * renewed runs once a new session replaced one whose lease expired: every mark went with the
   * old lease, so those of inodes still open here (and still there) are put back under the new one
   */
  async renewed(): Promise<void> {
    const open = [...this.held].filter(ino => this.owner.isOpen(ino))
    for (const ino of [...this.held]) this.forget(ino)
    for (let n = 0; n < open.length; n += BATCH) {
      const batch = open.slice(n, n + BATCH)
      const kept = await transact(this.store, 'renew open marks', async tx => {
        const found = await tx.get(...batch.map(ino => this.keys.inode(ino)))
        const there = batch.filter((_, k) => found[k] !== null)
        for (const ino of there) this.put(tx, ino)
        return there
      }, undefined, this.owner.session.markers)
      for (const ino of kept) this.committed(ino)
    }
  }

  /** releaseGone lets go of our lingering mark on an inode that lost its last name, freeing it unless another mount has it open */
  async releaseGone(ino: number): Promise<void> {
    if (this.held.has(ino) && !this.owner.isOpen(ino)) await this.release([ino])
  }

  /** close removes every lingering mark (the lease would drop them, but gone inodes must be freed) */
  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.watch?.close()
    this.watch = undefined
    await this.sweeping
    const all = [...this.lingering.keys()]
    for (let i = 0; i < all.length; i += BATCH) await this.release(all.slice(i, i + BATCH))
  }

  private mine(ino: number): string {
    return this.keys.open(ino, this.owner.session.sid)
  }

  private forget(ino: number): void {
    this.held.delete(ino)
    this.lingering.delete(ino)
    this.goneElsewhere.delete(ino)
  }

  /** sweep releases the marks that lingered long enough, and the oldest beyond the cap */
  private sweep(): void {
    this.sweeping = this.sweeping.then(async () => {
      const cutoff = Date.now() - LINGER_MS
      let excess = this.lingering.size - MAX_LINGERING
      const due = [...this.lingering].filter(([, closedMs]) => excess-- > 0 || closedMs <= cutoff).map(([ino]) => ino)
      for (let i = 0; i < due.length; i += BATCH) {
        await this.release(due.slice(i, i + BATCH)).catch((err: unknown) => {
          log.warn({ err }, 'open marks: release failed; trying again at the next sweep')
        })
      }
    })
  }

  /** release deletes this session's marks on inodes not open here, then reaps those that are gone */
  private async release(inodes: number[]): Promise<void> {
    for (const ino of inodes) this.forget(ino)
    let outcome: { reopened: number[]; gone: number[] }
    try {
      outcome = await transact(this.store, 'release open marks', async tx => {
        const reopened = inodes.filter(ino => this.owner.isOpen(ino))
        const closed = inodes.filter(ino => !this.owner.isOpen(ino))
        if (closed.length === 0) return { reopened, gone: [] }
        const marks = closed.map(ino => this.mine(ino))
        // reading the marks guards them: an open here that writes one again conflicts
        const found = await tx.get(...marks, ...closed.map(ino => this.keys.gone(ino)))
        marks.forEach((key, n) => { if (found[n]) tx.delete(key) })
        return { reopened, gone: closed.filter((_, n) => found[closed.length + n] !== null) }
      }, undefined, this.owner.session.markers)
    } catch (err) {
      // nothing was deleted: the marks are still held, and linger to be tried again
      for (const ino of inodes) {
        this.held.add(ino)
        if (!this.owner.isOpen(ino)) this.lingering.set(ino, 0)
      }
      throw err
    }
    for (const ino of outcome.reopened) this.held.add(ino)
    for (const ino of outcome.gone) {
      // a failure here leaves a nameless inode for the next mount's reap at open
      await this.owner.reap(ino).catch((err: unknown) => log.warn({ err, ino }, 'open marks: reaping a nameless inode failed'))
    }
  }
}
