// The namespace: making and removing names, renaming them, listing directories. Each
// operation is one optimistic transaction (tx.ts) in the group of the directories it changes,
// reading what it checks and writing the entry, the inodes' link counts and times and the
// directories' entry counts together. A new inode lives in its parent directory's group. An
// operation whose keys live in several groups (a rename or link between partitions, an unlink
// of a name whose inode lives elsewhere) is one cross-group transaction (groups.ts). A
// partition's top directory lives in its own group and its entry in the parent's: like a
// mountpoint, it cannot be removed or renamed here (EBUSY; `meridian partition rm` does it).
import { EBUSY, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EPERM } from '../errors'
import { check, checkSticky, R, W, X } from './access'
import { createMode } from './acl'
import type { FsContext, Records } from './context'
import type { Group } from './group'
import type { TxFor } from './groups'
import { ROOT_GROUP } from './ino'
import { isDir, isLink, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, type Inode } from './inode'
import { checkName } from './names'
import type { PathWalk } from './path-walk'
import { ROOT_INO } from './schema'
import type { Tx } from './tx'
import type { Attr, DirEntry, Identity } from './types'

export class Namespace {
  private spread = 0

  /**
   * @param spreadDirectories a testing knob: each new directory goes to the next group in turn
   *   rather than its parent's, so that operations between directories cross groups
   */
  constructor(
    private readonly ctx: FsContext,
    private readonly records: Records,
    private readonly walk: PathWalk,
    private readonly spreadDirectories = false,
  ) {}

  /** home is the group a new inode lives in: its parent directory's (but see spreadDirectories) */
  private async home(parent: number, dir: boolean): Promise<Group> {
    if (!dir || !this.spreadDirectories) return this.ctx.groups.of(parent)
    const ids = [ROOT_GROUP, ...(await this.ctx.groups.list()).map(g => g.id)]
    return this.ctx.groups.byId(ids[this.spread++ % ids.length])
  }

  /**
   * make links a new inode into parent under name; the common part of mkdir, mknod, create,
   * symlink. directory: it makes one (spreadDirectories places those)
   */
  async make(parent: number, name: string, who: Identity, build: (ino: number, now: number) => Inode, opened = false, directory = false): Promise<Inode> {
    checkName(name)
    const g = await this.home(parent, directory)
    const ino = await g.inos.take()
    const made = await this.ctx.groups.transact('create', async txFor => {
      const tx = await txFor(parent)
      const { dir, child } = await this.records.newEntry(tx, parent, name)
      check(dir, who, W | X, name)
      if (child) throw EEXIST(name)
      if (dir.nlink === 0) throw ENOENT(`directory ${parent} was removed`)
      const now = Date.now()
      const i = build(ino, now)
      // new inodes take the directory's group when it is setgid, and directories inherit the bit
      if (dir.mode & S_ISGID) {
        i.gid = dir.gid
        if (isDir(i)) i.mode |= S_ISGID
      }
      createMode(dir, i, who)
      this.records.put(await txFor(ino), i)
      if (opened) g.marks.put(await txFor(ino), ino)
      this.records.putEntry(tx, parent, name, i)
      dir.entries = (dir.entries ?? 0) + 1
      if (isDir(i)) dir.nlink++
      dir.mtimeMs = dir.ctimeMs = now
      this.records.put(tx, dir)
      return i
    })
    if (opened) g.marks.committed(ino)
    this.ctx.names.set(parent, name, { ino })
    return made
  }

  async mkdir(parent: number, name: string, mode: number, who: Identity): Promise<Attr> {
    const i = await this.make(parent, name, who, (ino, now) => ({
      ...fresh(ino, S_IFDIR | (mode & 0o7777), who, now), nlink: 2, size: 4096, parent, entries: 0,
    }), false, true)
    return this.records.attr(i)
  }

  async mknod(parent: number, name: string, mode: number, rdev: number, who: Identity): Promise<Attr> {
    const type = mode & S_IFMT || S_IFREG
    if (type === S_IFDIR || type === S_IFLNK) throw EINVAL(`mknod cannot make type ${type.toString(8)}`)
    const i = await this.make(parent, name, who, (ino, now) => ({ ...fresh(ino, type | (mode & 0o7777), who, now), rdev }))
    return this.records.attr(i)
  }

  async symlink(parent: number, name: string, target: string, who: Identity): Promise<Attr> {
    if (Buffer.byteLength(target) >= 4096) throw EINVAL('symlink target over 4095 bytes')
    const i = await this.make(parent, name, who, (ino, now) => ({
      ...fresh(ino, S_IFLNK | 0o777, who, now), size: Buffer.byteLength(target), target,
    }))
    return this.records.attr(i)
  }

  async readlink(ino: number): Promise<string> {
    const i = await (await this.ctx.groups.of(ino)).transact('readlink', tx => this.records.inode(tx, ino))
    if (!isLink(i)) throw EINVAL(`inode ${ino} is not a symlink`)
    return i.target ?? ''
  }

  async link(ino: number, newParent: number, newName: string, who: Identity): Promise<Attr> {
    checkName(newName)
    const i = await this.ctx.groups.transact('link', async txFor => {
      const ti = await txFor(ino)
      const tn = await txFor(newParent)
      const i = await this.records.inode(ti, ino)
      if (isDir(i)) throw EPERM('hard links to directories are not allowed')
      const { dir, child } = await this.records.entry(tn, newParent, newName)
      check(dir, who, W | X, newName)
      if (child) throw EEXIST(newName)
      if (i.nlink === 0) throw ENOENT(`inode ${ino} has no names left`)
      const now = Date.now()
      i.nlink++
      i.ctimeMs = now
      dir.entries = (dir.entries ?? 0) + 1
      dir.mtimeMs = dir.ctimeMs = now
      this.records.put(ti, i)
      this.records.put(tn, dir)
      this.records.putEntry(tn, newParent, newName, i)
      return i
    })
    this.ctx.names.set(newParent, newName, { ino })
    return this.records.attr(i)
  }

  /**
   * dropName drops one name of inode i inside tx (a transaction of i's group); frees it when no
   * name and no handle is left. across: tx is part of a cross-group transaction, which cannot
   * delete this mount's open mark (a key bound to a lease): the inode stays nameless, and the
   * caller lets the mark go once the transaction has committed (releaseMarks).
   */
  private async dropName(tx: Tx, i: Inode, now: number, across: boolean): Promise<void> {
    const g = await this.ctx.groups.of(i.ino)
    i.nlink = isDir(i) ? 0 : i.nlink - 1
    i.ctimeMs = now
    const open = this.ctx.opened.file(i.ino)
    if (i.nlink > 0) {
      this.records.put(tx, i)
    } else if (open || (await g.marks.othersAfterUnlink(tx, i.ino, across)).length > 0) {
      // some mount has it open: it stays, nameless, until the last close anywhere
      if (open) open.gone = true
      this.records.put(tx, i)
      tx.put(this.ctx.keys.gone(i.ino), g.session.sid)
    } else {
      this.records.free(tx, i.ino)
    }
  }

  async unlink(parent: number, name: string, who: Identity): Promise<void> {
    await this.ctx.groups.transact('unlink', async txFor => {
      const tp = await txFor(parent)
      await this.records.readNames(tp, [parent, name])
      const { dir, child } = await this.records.entry(tp, parent, name)
      check(dir, who, W | X, name)
      if (!child) throw ENOENT(name)
      const tc = await txFor(child)
      const i = await this.ctx.inodes.readAssuming(tc, child)
      if (isDir(i)) throw EISDIR(name)
      checkSticky(dir, i, who, name)
      return this.removeEntry(tp, tc, parent, name, dir, i)
    }).then(dropped => this.releaseMarks(dropped))
    this.ctx.names.forget(parent, name)
  }

  /**
   * removeEntry deletes the entry parent/name (in tp, with its directory dir) naming inode i (in
   * tc) and drops that name of i; returns i when tp and tc are parts of one cross-group
   * transaction (its open mark is let go after the commit, releaseMarks)
   */
  private async removeEntry(tp: Tx, tc: Tx, parent: number, name: string, dir: Inode, i: Inode): Promise<Inode | undefined> {
    const now = Date.now()
    tp.delete(this.ctx.keys.entry(parent, name))
    dir.entries = (dir.entries ?? 1) - 1
    if (isDir(i)) dir.nlink--
    dir.mtimeMs = dir.ctimeMs = now
    this.records.put(tp, dir)
    await this.dropName(tc, i, now, tc !== tp)
    return tc !== tp ? i : undefined
  }

  /** releaseMarks lets go of this mount's mark on an inode a cross-group transaction left nameless */
  private async releaseMarks(dropped: Inode | undefined): Promise<void> {
    if (dropped && dropped.nlink === 0) await (await this.ctx.groups.of(dropped.ino)).marks.releaseGone(dropped.ino)
  }

  async rmdir(parent: number, name: string, who: Identity): Promise<void> {
    await this.ctx.groups.transact('rmdir', async txFor => {
      const tp = await txFor(parent)
      const { dir, child } = await this.records.entry(tp, parent, name)
      check(dir, who, W | X, name)
      if (!child) throw ENOENT(name)
      const tc = await txFor(child)
      const i = await this.records.inode(tc, child)
      if (!isDir(i)) throw ENOTDIR(name)
      if (i.partition) throw EBUSY(`${name} is the top directory of partition '${i.partition}'`)
      if ((i.entries ?? 0) > 0) throw ENOTEMPTY(name)
      checkSticky(dir, i, who, name)
      return this.removeEntry(tp, tc, parent, name, dir, i)
    }).then(dropped => this.releaseMarks(dropped))
    this.ctx.names.forget(parent, name)
  }

  /**
   * rename moves a name. Between groups it is one cross-group transaction: the entry moves, the
   * inode stays in its group (its number is its identity; a directory's subtree keeps living
   * where it was made). A partition's top directory does not move (EBUSY), like a mountpoint.
   */
  async rename(parent: number, name: string, newParent: number, newName: string, who: Identity): Promise<void> {
    checkName(newName)
    if (parent === newParent && name === newName) {
      await this.walk.lookupIno(parent, name, who)
      return
    }
    const dropped = await this.ctx.groups.transact('rename', async txFor => {
      const tp = await txFor(parent)
      const tn = await txFor(newParent)
      if (tp === tn) await this.records.readNames(tp, [parent, name], [newParent, newName])
      else await Promise.all([this.records.readNames(tp, [parent, name]), this.records.readNames(tn, [newParent, newName])])
      const src = await this.records.entry(tp, parent, name)
      const dst = parent === newParent ? { dir: src.dir, child: 0 } : await this.records.entry(tn, newParent, newName)
      if (parent === newParent) dst.child = (await this.records.entry(tn, newParent, newName)).child
      check(src.dir, who, W | X, name)
      check(dst.dir, who, W | X, newName)
      if (!src.child) throw ENOENT(name)
      const tm = await txFor(src.child)
      const moved = await this.ctx.inodes.readAssuming(tm, src.child)
      if (moved.partition) throw EBUSY(`${name} is the top directory of partition '${moved.partition}'`)
      checkSticky(src.dir, moved, who, name)
      if (dst.child === src.child) return undefined // two names of one inode: POSIX says do nothing
      const now = Date.now()
      let replaced: Inode | undefined
      let tr: Tx | undefined
      if (dst.child) {
        tr = await txFor(dst.child)
        replaced = await this.records.inode(tr, dst.child)
        if (replaced.partition) throw EBUSY(`${newName} is the top directory of partition '${replaced.partition}'`)
        checkSticky(dst.dir, replaced, who, newName)
        if (isDir(moved) && !isDir(replaced)) throw ENOTDIR(newName)
        if (!isDir(moved) && isDir(replaced)) throw EISDIR(newName)
        if (isDir(replaced) && (replaced.entries ?? 0) > 0) throw ENOTEMPTY(newName)
      }
      if (isDir(moved) && parent !== newParent) {
        await this.checkNotInside(txFor, moved.ino, newParent)
        // moving a directory rewrites its '..', which needs write permission on it
        check(moved, who, W, name)
      }
      tp.delete(this.ctx.keys.entry(parent, name))
      this.records.putEntry(tn, newParent, newName, moved)
      src.dir.entries = (src.dir.entries ?? 1) - 1
      if (!replaced) dst.dir.entries = (dst.dir.entries ?? 0) + 1
      if (isDir(moved)) {
        src.dir.nlink--
        dst.dir.nlink++
        moved.parent = newParent
      }
      const across = new Set([tp, tn, tm, tr].filter(Boolean)).size > 1
      if (replaced && tr) {
        if (isDir(replaced)) dst.dir.nlink--
        await this.dropName(tr, replaced, now, across)
      }
      moved.ctimeMs = now
      src.dir.mtimeMs = src.dir.ctimeMs = now
      dst.dir.mtimeMs = dst.dir.ctimeMs = now
      this.records.put(tm, moved)
      this.records.put(tp, src.dir)
      if (dst.dir !== src.dir) this.records.put(tn, dst.dir)
      return across ? replaced : undefined
    })
    await this.releaseMarks(dropped)
    this.ctx.names.forget(parent, name)
    this.ctx.names.forget(newParent, newName)
  }

  /**
   * EINVAL when dir is target or one of its ancestors: a directory cannot move into itself. Each
   * ancestor is read in its group's part of the operation (guarded where that part writes)
   */
  private async checkNotInside(txFor: TxFor, dir: number, target: number): Promise<void> {
    for (let at = target; ; ) {
      if (at === dir) throw EINVAL('cannot move a directory into itself')
      if (at === ROOT_INO) return
      at = (await this.records.dir(await txFor(at), at)).parent ?? ROOT_INO
    }
  }

  async readdir(ino: number, who: Identity): Promise<DirEntry[]> {
    const g = await this.ctx.groups.of(ino)
    const d = await g.transact('readdir', tx => this.records.dir(tx, ino))
    check(d, who, R, `inode ${ino}`)
    const out: DirEntry[] = []
    const prefix = this.ctx.keys.entries(ino)
    let after: Buffer | undefined
    for (;;) {
      const page = await g.store.range(prefix, { limit: 1000, after })
      for (const kv of page.kvs) {
        const e = this.records.decodeEntry(kv.value)
        if (e) out.push({ name: kv.key.subarray(Buffer.byteLength(prefix)).toString(), ino: e.ino, type: e.type })
      }
      if (!page.more) return out
      after = page.kvs[page.kvs.length - 1].key
    }
  }
}

/** fresh is a new inode's record: owned by who, one link, times now */
export function fresh(ino: number, mode: number, who: Identity, now: number): Inode {
  return { ino, mode, uid: who.uid, gid: who.gid, nlink: 1, size: 0, rdev: 0, atimeMs: now, mtimeMs: now, ctimeMs: now, xattrs: 0 }
}
