// What the parts of one mounted filesystem share: its groups (each with its store, session and
// open marks), the key layout, the caches of inodes and names and the open files; and the small reads every
// operation starts with (an inode, a directory, an entry), each taking what the caches hold
// where a guarded guess is safe (a stale guess only fails the commit; the next run reads).
import { ENOTDIR } from '../errors'
import type { Causality } from './causality'
import type { Groups } from './groups'
import type { Handles } from './handles'
import { groupOf } from './ino'
import { isDir, S_IFMT, toAttr, type Inode } from './inode'
import type { InodeCache } from './inode-cache'
import type { NameCache } from './name-cache'
import { decodeEntry, encodeEntry, type EntryValue, type Keys, type Settings } from './schema'
import type { Tx } from './tx'
import type { Attr } from './types'

export interface FsContext {
  readonly groups: Groups
  /** causal reads, when the mount reads from nearest replicas */
  readonly causality?: Causality
  readonly keys: Keys
  readonly settings: Settings
  readonly inodes: InodeCache
  readonly names: NameCache
  readonly opened: Handles
}

/** Records is the reading and writing of inodes and entries inside transactions, over a context. */
export class Records {
  constructor(private readonly ctx: FsContext) {}

  inode(tx: Tx, ino: number): Promise<Inode> {
    return this.ctx.inodes.read(tx, ino)
  }

  put(tx: Tx, i: Inode): void {
    this.ctx.inodes.put(tx, i)
  }

  async dir(tx: Tx, ino: number): Promise<Inode> {
    const d = await this.inode(tx, ino)
    if (!isDir(d)) throw ENOTDIR(`inode ${ino}`)
    return d
  }

  /**
   * putEntry writes the entry parent/name naming inode i; one naming an inode of another group
   * carries this mount's clock, so that a reader finds the inode it names (causal reads)
   */
  putEntry(tx: Tx, parent: number, name: string, i: Inode): void {
    const deps = this.ctx.causality && groupOf(i.ino) !== groupOf(parent) ? this.ctx.causality.token() : undefined
    tx.put(this.ctx.keys.entry(parent, name), encodeEntry({ ino: i.ino, type: i.mode & S_IFMT, deps }))
  }

  /** decodeEntry reads an entry value, taking in the clock it carries */
  decodeEntry(raw: Buffer): EntryValue | undefined {
    const e = decodeEntry(raw)
    if (e?.deps) this.ctx.causality?.dependsOn(e.deps)
    return e
  }

  /** entry reads a directory entry: the parent (checked to be a directory) and the child ino, or 0 */
  async entry(tx: Tx, parent: number, name: string): Promise<{ dir: Inode; child: number }> {
    const [, rawEntry] = await tx.get(this.ctx.keys.inode(parent), this.ctx.keys.entry(parent, name))
    const dir = await this.ctx.inodes.read(tx, parent) // read already: no round trip
    if (!isDir(dir)) throw ENOTDIR(`inode ${parent}`)
    return { dir, child: rawEntry ? (this.decodeEntry(rawEntry)?.ino ?? 0) : 0 }
  }

  /**
   * assumeEntry takes the entry parent/name as this mount's last lookup read it, and the parent
   * directory from the inode cache, as read in tx (guarded on their revisions, no round trip),
   * unless a conflicting run before relied on the same entry. Returns the inode the name led
   * to, if the name is cached at all (its record is then worth reading ahead).
   */
  private assumeEntry(tx: Tx, parent: number, name: string): number | undefined {
    const cached = this.ctx.names.get(parent, name)
    const key = this.ctx.keys.entry(parent, name)
    if (cached?.entry && tx.guardedBefore(key) === undefined && this.ctx.inodes.assume(tx, parent)) {
      tx.assume(key, cached.entry.value, cached.entry.rev)
    }
    return cached?.ino
  }

  /**
   * readNames brings into tx the directories and entries of names, and the inodes the name
   * cache says they name: what the caches hold is assumed (assumeEntry), the rest is read in
   * one round trip, so that the entry() and inode reads after it cost none
   */
  async readNames(tx: Tx, ...names: Array<[number, string]>): Promise<void> {
    const keys: string[] = []
    for (const [parent, name] of names) {
      const cached = this.assumeEntry(tx, parent, name)
      keys.push(this.ctx.keys.inode(parent), this.ctx.keys.entry(parent, name))
      // an inode of another group is not in this transaction's store
      if (cached !== undefined && groupOf(cached) === groupOf(parent)) keys.push(this.ctx.keys.inode(cached))
    }
    await tx.get(...keys)
  }

  /**
   * newEntry is entry for a name about to be made. With the parent cached it reads nothing: it
   * takes the cached parent and assumes the name absent (the kernel has just looked it up),
   * unless a conflicting run before assumed so already; a wrong guess fails the commit, and
   * the next run reads.
   */
  async newEntry(tx: Tx, parent: number, name: string): Promise<{ dir: Inode; child: number }> {
    const key = this.ctx.keys.entry(parent, name)
    const guessable = tx.guardedBefore(key) === undefined && tx.revisionOf(key) === undefined
    const dir = guessable ? this.ctx.inodes.assume(tx, parent) : undefined
    if (!dir) return this.entry(tx, parent, name)
    if (!isDir(dir)) throw ENOTDIR(`inode ${parent}`)
    tx.assume(key, null, 0)
    return { dir, child: 0 }
  }

  /** free deletes an inode and everything that hangs off it */
  free(tx: Tx, ino: number): void {
    const { keys } = this.ctx
    tx.delete(keys.inode(ino))
    tx.delete(keys.gone(ino))
    tx.deletePrefix(keys.chunks(ino))
    tx.deletePrefix(keys.xattrs(ino))
  }

  /** attr is what stat shows of an inode: with the size of this mount's uncommitted writes */
  attr(i: Inode): Attr {
    const open = this.ctx.opened.file(i.ino)
    return toAttr(open && open.size > i.size ? { ...i, size: open.size } : i)
  }

  async getattr(ino: number): Promise<Attr> {
    const { inodes, groups } = this.ctx
    const cached = inodes.get(ino)
    return this.attr(cached ?? (await (await groups.of(ino)).transact('getattr', tx => inodes.read(tx, ino))))
  }
}
