// The namespace: making and removing names, renaming them, listing directories. Each
// operation is one optimistic transaction (tx.ts) that reads what it checks and writes the
// entry, both inodes' link counts and times, and the directories' entry counts together.
import { EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EPERM } from '../errors'
import { check, checkSticky, R, W, X } from './access'
import { createMode } from './acl'
import type { FsContext, Records } from './context'
import type { InodeAllocator } from './inode-alloc'
import { isDir, isLink, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, type Inode } from './inode'
import { checkName } from './names'
import type { PathWalk } from './path-walk'
import { decodeEntry, ROOT_INO } from './schema'
import { transact, type Tx } from './tx'
import type { Attr, DirEntry, Identity } from './types'

export class Namespace {
  constructor(
    private readonly ctx: FsContext,
    private readonly records: Records,
    private readonly inos: InodeAllocator,
    private readonly walk: PathWalk,
  ) {}

  /** make links a new inode into parent under name; the common part of mkdir, mknod, create, symlink */
  async make(parent: number, name: string, who: Identity, build: (ino: number, now: number) => Inode, opened = false): Promise<Inode> {
    checkName(name)
    const ino = await this.inos.take()
    const made = await transact(this.ctx.store, 'create', async tx => {
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
      this.records.put(tx, i)
      if (opened) this.ctx.marks.put(tx, ino)
      this.records.putEntry(tx, parent, name, i)
      dir.entries = (dir.entries ?? 0) + 1
      if (isDir(i)) dir.nlink++
      dir.mtimeMs = dir.ctimeMs = now
      this.records.put(tx, dir)
      return i
    })
    if (opened) this.ctx.marks.committed(ino)
    this.ctx.names.set(parent, name, { ino })
    return made
  }

  async mkdir(parent: number, name: string, mode: number, who: Identity): Promise<Attr> {
    const i = await this.make(parent, name, who, (ino, now) => ({
      ...fresh(ino, S_IFDIR | (mode & 0o7777), who, now), nlink: 2, size: 4096, parent, entries: 0,
    }))
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
    const i = await transact(this.ctx.store, 'readlink', tx => this.records.inode(tx, ino))
    if (!isLink(i)) throw EINVAL(`inode ${ino} is not a symlink`)
    return i.target ?? ''
  }

  async link(ino: number, newParent: number, newName: string, who: Identity): Promise<Attr> {
    checkName(newName)
    const i = await transact(this.ctx.store, 'link', async tx => {
      const i = await this.records.inode(tx, ino)
      if (isDir(i)) throw EPERM('hard links to directories are not allowed')
      const { dir, child } = await this.records.entry(tx, newParent, newName)
      check(dir, who, W | X, newName)
      if (child) throw EEXIST(newName)
      if (i.nlink === 0) throw ENOENT(`inode ${ino} has no names left`)
      const now = Date.now()
      i.nlink++
      i.ctimeMs = now
      dir.entries = (dir.entries ?? 0) + 1
      dir.mtimeMs = dir.ctimeMs = now
      this.records.put(tx, i)
      this.records.put(tx, dir)
      this.records.putEntry(tx, newParent, newName, i)
      return i
    })
    this.ctx.names.set(newParent, newName, { ino })
    return this.records.attr(i)
  }

  /** dropName drops one name of an inode inside a transaction; frees it when no name and no handle is left */
  private async dropName(tx: Tx, i: Inode, now: number): Promise<void> {
    i.nlink = isDir(i) ? 0 : i.nlink - 1
    i.ctimeMs = now
    const open = this.ctx.opened.file(i.ino)
    if (i.nlink > 0) {
      this.records.put(tx, i)
    } else if (open || (await this.ctx.marks.othersAfterUnlink(tx, i.ino)).length > 0) {
      // some mount has it open: it stays, nameless, until the last close anywhere
      if (open) open.gone = true
      this.records.put(tx, i)
      tx.put(this.ctx.keys.gone(i.ino), this.ctx.session.sid)
    } else {
      this.records.free(tx, i.ino)
    }
  }

  async unlink(parent: number, name: string, who: Identity): Promise<void> {
    await transact(this.ctx.store, 'unlink', async tx => {
      await this.records.readNames(tx, [parent, name])
      const { dir, child } = await this.records.entry(tx, parent, name)
      check(dir, who, W | X, name)
      if (!child) throw ENOENT(name)
      const i = await this.ctx.inodes.readAssuming(tx, child)
      if (isDir(i)) throw EISDIR(name)
      checkSticky(dir, i, who, name)
      const now = Date.now()
      tx.delete(this.ctx.keys.entry(parent, name))
      dir.entries = (dir.entries ?? 1) - 1
      dir.mtimeMs = dir.ctimeMs = now
      this.records.put(tx, dir)
      await this.dropName(tx, i, now)
    })
    this.ctx.names.forget(parent, name)
  }

  async rmdir(parent: number, name: string, who: Identity): Promise<void> {
    await transact(this.ctx.store, 'rmdir', async tx => {
      const { dir, child } = await this.records.entry(tx, parent, name)
      check(dir, who, W | X, name)
      if (!child) throw ENOENT(name)
      const i = await this.records.inode(tx, child)
      if (!isDir(i)) throw ENOTDIR(name)
      if ((i.entries ?? 0) > 0) throw ENOTEMPTY(name)
      checkSticky(dir, i, who, name)
      const now = Date.now()
      tx.delete(this.ctx.keys.entry(parent, name))
      dir.entries = (dir.entries ?? 1) - 1
      dir.nlink--
      dir.mtimeMs = dir.ctimeMs = now
      this.records.put(tx, dir)
      await this.dropName(tx, i, now)
    })
    this.ctx.names.forget(parent, name)
  }

  async rename(parent: number, name: string, newParent: number, newName: string, who: Identity): Promise<void> {
    checkName(newName)
    if (parent === newParent && name === newName) {
      await this.walk.lookupIno(parent, name, who)
      return
    }
    await transact(this.ctx.store, 'rename', async tx => {
      await this.records.readNames(tx, [parent, name], [newParent, newName])
      const src = await this.records.entry(tx, parent, name)
      const dst = parent === newParent ? { dir: src.dir, child: 0 } : await this.records.entry(tx, newParent, newName)
      if (parent === newParent) dst.child = (await this.records.entry(tx, newParent, newName)).child
      check(src.dir, who, W | X, name)
      check(dst.dir, who, W | X, newName)
      if (!src.child) throw ENOENT(name)
      const moved = await this.ctx.inodes.readAssuming(tx, src.child)
      checkSticky(src.dir, moved, who, name)
      if (dst.child === src.child) return // two names of one inode: POSIX says do nothing
      const now = Date.now()
      let replaced: Inode | undefined
      if (dst.child) {
        replaced = await this.records.inode(tx, dst.child)
        checkSticky(dst.dir, replaced, who, newName)
        if (isDir(moved) && !isDir(replaced)) throw ENOTDIR(newName)
        if (!isDir(moved) && isDir(replaced)) throw EISDIR(newName)
        if (isDir(replaced) && (replaced.entries ?? 0) > 0) throw ENOTEMPTY(newName)
      }
      if (isDir(moved) && parent !== newParent) {
        await this.checkNotInside(tx, moved.ino, newParent)
        // moving a directory rewrites its '..', which needs write permission on it
        check(moved, who, W, name)
      }
      tx.delete(this.ctx.keys.entry(parent, name))
      this.records.putEntry(tx, newParent, newName, moved)
      src.dir.entries = (src.dir.entries ?? 1) - 1
      if (!replaced) dst.dir.entries = (dst.dir.entries ?? 0) + 1
      if (isDir(moved)) {
        src.dir.nlink--
        dst.dir.nlink++
        moved.parent = newParent
      }
      if (replaced) {
        if (isDir(replaced)) dst.dir.nlink--
        await this.dropName(tx, replaced, now)
      }
      moved.ctimeMs = now
      src.dir.mtimeMs = src.dir.ctimeMs = now
      dst.dir.mtimeMs = dst.dir.ctimeMs = now
      this.records.put(tx, moved)
      this.records.put(tx, src.dir)
      if (dst.dir !== src.dir) this.records.put(tx, dst.dir)
    })
    this.ctx.names.forget(parent, name)
    this.ctx.names.forget(newParent, newName)
  }

  /** EINVAL when dir is target or one of its ancestors: a directory cannot move into itself */
  private async checkNotInside(tx: Tx, dir: number, target: number): Promise<void> {
    for (let at = target; ; ) {
      if (at === dir) throw EINVAL('cannot move a directory into itself')
      if (at === ROOT_INO) return
      at = (await this.records.dir(tx, at)).parent ?? ROOT_INO
    }
  }

  async readdir(ino: number, who: Identity): Promise<DirEntry[]> {
    const d = await transact(this.ctx.store, 'readdir', tx => this.records.dir(tx, ino))
    check(d, who, R, `inode ${ino}`)
    const out: DirEntry[] = []
    const prefix = this.ctx.keys.entries(ino)
    let after: Buffer | undefined
    for (;;) {
      const page = await this.ctx.store.range(prefix, { limit: 1000, after })
      for (const kv of page.kvs) {
        const e = decodeEntry(kv.value)
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
