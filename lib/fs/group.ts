// One metadata group as a mount uses it: its store (observed, so the inode cache follows this
// mount's own commits), this mount's session there (open marks and locks live in the group of
// their inode, bound to a lease of that group), its open marks, its inode counter, and the
// configuration epoch every transaction in it compares (Corfu's epochs: a transaction planned
// under an older configuration is refused inside the store, and runs again on a fresh read).
import type { MetaStore } from '../meta/store'
import { MeteredStore } from '../metrics/metered-store'
import { InodeAllocator } from './inode-alloc'
import type { InodeCache } from './inode-cache'
import { ObservedStore } from './observed-store'
import { OpenMarks } from './open-marks'
import type { Keys } from './schema'
import { Session } from './session'
import { transact, type Resolver, type Tx } from './tx'

export interface GroupOptions {
  sessionTtl?: number
  /** where the mount is, recorded in its session */
  mountpoint?: string
  /** isOpen tells whether this mount has the inode open (or is opening it) */
  isOpen(ino: number): boolean
  /** reap frees a nameless inode if no mount has it open any more */
  reap(ino: number): Promise<void>
  /** epochChanged is told when a transaction found the configuration epoch moved on */
  epochChanged(group: number): void
  /** opened runs once the mount has started in a group it met after the root */
  opened?(group: Group): Promise<void>
  /** resolve settles a cross-group transaction whose intent a read met */
  resolve: Resolver
}

export class Group {
  private epoch: { value: Buffer | null; rev: number }

  private constructor(
    readonly id: number,
    readonly store: MetaStore,
    private readonly keys: Keys,
    readonly session: Session,
    readonly marks: OpenMarks,
    readonly inos: InodeAllocator,
    epoch: { value: Buffer | null; rev: number },
    private readonly epochChanged: (group: number) => void,
    private readonly resolve: Resolver,
  ) {
    this.epoch = epoch
  }

  /** open starts this mount's session in a group's store (which it does not own) */
  static async open(id: number, backing: MetaStore, keys: Keys, inodes: InodeCache, opts: GroupOptions): Promise<Group> {
    const store = new ObservedStore(new MeteredStore(backing, String(id)), (ops, revision) => inodes.observe(ops, revision))
    const { kv } = await store.get(keys.epoch())
    const session = await Session.start(store, keys, opts.sessionTtl, opts.mountpoint)
    const marks = new OpenMarks(store, keys, { session, isOpen: opts.isOpen, reap: opts.reap })
    session.onRenew(() => marks.renewed())
    const group = new Group(
      id, store, keys, session, marks, new InodeAllocator(store, keys, id, session.markers),
      { value: kv?.value ?? null, rev: kv?.modRevision ?? 0 }, opts.epochChanged, opts.resolve,
    )
    await marks.watchGone()
    return group
  }

  /** transact runs fn as one optimistic transaction in this group, guarded by the configuration epoch */
  transact<T>(what: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return transact(this.store, what, async tx => {
      await this.guard(tx)
      return fn(tx)
    }, this.resolve, this.session.markers)
  }

  /**
   * guard makes tx compare the epoch as this mount last saw it (no round trip). When the run
   * before this one conflicted while assuming that very epoch, the epoch is read afresh along
   * with this run's first read (no round trip of its own either), or, when that run made no
   * read to ride along with, on its own: a configuration change costs each mount one or two
   * extra runs of one transaction, and a conflict for any other reason costs nothing more
   */
  async guard(tx: Tx): Promise<void> {
    const key = this.keys.epoch()
    if (tx.guardedBefore(key) !== this.epoch.rev) {
      tx.assume(key, this.epoch.value, this.epoch.rev)
    } else if (!tx.rereadPendingBefore(key)) {
      tx.reread(key, this.epoch.value, this.epoch.rev, (value, rev) => this.saw(value, rev))
    } else {
      const [value] = await tx.get(key)
      this.saw(value, tx.revisionOf(key) ?? 0)
    }
  }

  /** saw takes in the epoch as a transaction found it */
  private saw(value: Buffer | null, rev: number): void {
    if (rev === this.epoch.rev) return
    this.epoch = { value, rev }
    this.epochChanged(this.id)
  }

  /** close ends this mount's session in the group (its marks first); the store stays open */
  async close(): Promise<void> {
    await this.marks.close().catch(() => undefined)
    await this.session.close()
  }
}
