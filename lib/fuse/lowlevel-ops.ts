// The op table of the low-level (inode-based) binding: each request names inodes, so every op
// is one call into lib/fs by inode number, with no path walk. Results go back with the reply
// the op calls for; a failure is converted exactly once, in serve() -> errnoOf().
//
// Inodes: the kernel's inode is Meridian's inode (st_ino and the FUSE node id are the same
// number), so every name of a hard link is one kernel inode. `refs` counts the kernel's lookup
// references per inode (lookup, create, mkdir, mknod, symlink, link, readdirplus add one;
// forget takes them back).
//
// Identity: every op acts as its caller (uid, gid from the request, groups from
// /proc/<pid>/status); lookups pass none (lib/fs then walks as root): with
// default_permissions the kernel has checked search permission for the real caller already.
import { constants as fsc } from 'node:fs'
import { constants } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { EINTR, EINVAL, EEXIST, ENAMETOOLONG, ERANGE, toErrno } from '../errors'
import type { Filesystem } from '../fs/filesystem'
import { TO_EOF, type LockType } from '../fs/lock-table'
import { ROOT, type Attr, type AttrChange, type DirEntry, type Identity } from '../fs/types'
import { log } from '../log'
import { opStarted } from '../metrics/ops'
import { groups } from './caller'
import type { Addon, AttrArray, DirEntryArray, RequestEvent, Session } from './lowlevel/addon'
import { errnoOf, type OpCounts } from './ops'
import { PageCache } from './page-cache'
import { toStatfs } from './stat'

/** what one FUSE request may carry (the binding asks the kernel for it: max_write) */
const LOWLEVEL_MAX_WRITE = 1024 * 1024

export interface LowlevelConfig {
  /** seconds the kernel trusts a name, its attributes, a name's absence */
  entryTimeout: number
  attrTimeout: number
  negativeTimeout: number
  /** requests reaching JavaScript, by op */
  counts: OpCounts
  /** the kernel's writeback cache is on: it may read through a write-only open, and appends itself */
  writebackCache?: boolean
}

// setattr's to_set bits (fuse_lowlevel.h)
const SET_MODE = 1 << 0
const SET_UID = 1 << 1
const SET_GID = 1 << 2
const SET_SIZE = 1 << 3
const SET_ATIME = 1 << 4
const SET_MTIME = 1 << 5
const SET_ATIME_NOW = 1 << 7
const SET_MTIME_NOW = 1 << 8
const RENAME_NOREPLACE = 1
// struct flock's l_type on Linux
const F_RDLCK = 0
const F_WRLCK = 1
const F_UNLCK = 2
const LOCK_SH = 1
const LOCK_EX = 2
const LOCK_NB = 4
/** struct fuse_dirent and fuse_direntplus before the name; entries are 8-byte aligned */
const DIRENT_HEAD = 24
const DIRENTPLUS_HEAD = 152
const OWNER_BITS = (1n << 53n) - 1n
/**
 * at most this many names per readdirplus reply: each costs an inode read, and the kernel asks
 * for the rest with plain readdir unless lookups in the directory (ls -l) ask for attributes
 * again (readdirplus_auto); with 1 MiB requests one reply would otherwise read every inode of
 * the directory for a plain ls
 */
const PLUS_BATCH = 64

const OK = 0
const O_ACCMODE = fsc.O_WRONLY | fsc.O_RDWR
const { ENOENT, ESTALE } = constants.errno
/**
 * ops on an inode the kernel reached through a cached name: when the inode is gone (another
 * mount removed or replaced the name) they answer ESTALE, and the kernel looks the name up
 * afresh and tries once more (as with NFS)
 */
const STALE_WHEN_GONE = new Set(['getattr', 'setattr', 'readlink', 'open', 'access', 'getxattr', 'setxattr', 'listxattr', 'removexattr'])
const NAME_MAX = 255
const EINTR_ERRNO = constants.errno.EINTR
/**
 * ops that only read: when interrupted (FUSE_INTERRUPT: the waiting process got a signal, or was
 * killed, and cannot go until answered) they are answered EINTR, and what lib/fs still does for
 * them is dropped (an open's handle is released). Ops that change something run to completion:
 * their effect cannot be taken back. Lock waits end at the interrupt (waitable).
 */
const ABANDONED_WHEN_INTERRUPTED = new Set(['lookup', 'getattr', 'readlink', 'open', 'read', 'opendir', 'readdir', 'readdirplus', 'statfs', 'access', 'getxattr', 'listxattr', 'getlk'])
/**
 * an interrupted op is abandoned only once it has run this long: the kernel interrupts for any
 * signal, also a handled one (SIGCHLD, a timer), and a read failing with EINTR surprises
 * programs that a local disk never fails so; a killed process waits at most this long
 */
const INTERRUPT_GRACE_MS = 1000
/** ops whose first argument is a name in the directory they name (for the slow-operation log) */
const NAMED = new Set(['lookup', 'mknod', 'mkdir', 'symlink', 'unlink', 'rmdir', 'rename', 'create'])

/** toAttrArray: Attr -> the array the binding packs into struct stat (st_ino is the inode number) */
export function toAttrArray(a: Attr): AttrArray {
  return [
    a.ino, a.mode, a.nlink, a.uid, a.gid, a.size, a.rdev,
    a.atime.sec, a.atime.nsec, a.mtime.sec, a.mtime.nsec, a.ctime.sec, a.ctime.nsec, LOWLEVEL_MAX_WRITE,
  ]
}

const NO_ENTRY: AttrArray = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]

/** a directory opened for listing: its entries as read when listing (re)started at offset 0 */
interface DirHandle {
  ino: number
  ctx: Identity
  entries?: DirEntry[]
}

const direntSize = (name: string, plus: boolean) => (plus ? DIRENTPLUS_HEAD : DIRENT_HEAD) + ((Buffer.byteLength(name) + 7) & ~7)

export class LowlevelOps {
  /** the kernel's lookup references, per inode */
  readonly refs = new Map<number, number>()
  private session?: Session
  private readonly dirs = new Map<number, DirHandle>()
  /** the requests in flight, by id: FUSE_INTERRUPT aborts one */
  private readonly inFlight = new Map<number, AbortController>()
  /** interrupts that arrived before their request (the binding may queue one first) */
  private readonly interruptedEarly = new Set<number>()
  /** the highest request id seen: an interrupt naming a lower one that is not in flight came after its answer */
  private lastId = 0
  /** inodes answered ESTALE: gone, though a name the kernel (or lib/fs) remembers led to them */
  private readonly stale = new Set<number>()
  /** `${ino}:${owner}` of POSIX lock owners that took locks: a flush of theirs releases them */
  private readonly lockOwners = new Set<string>()
  /** when the kernel may keep a file's cached pages (page-cache.ts) */
  private readonly pages = new PageCache()
  private exited?: () => void
  /** resolves when the session ended (its last event) */
  readonly ended = new Promise<void>(done => (this.exited = done))

  constructor(private readonly fs: Filesystem, private readonly native: Addon, private readonly config: LowlevelConfig) {}

  /** attach names the session the replies go to; called once, right after mounting */
  attach(session: Session): void {
    this.session = session
  }

  /** handle takes one batch of events from the binding */
  readonly handle = (events: RequestEvent[]): void => {
    for (const e of events) this.dispatch(e)
  }

  private dispatch(e: RequestEvent): void {
    const [op, id, ino, uid, gid, pid] = e
    const a = e.slice(6)
    switch (op) {
      case 'forget':
        return this.forget(ino, a[0] as number)
      case 'interrupt':
        return this.interrupt(a[0] as number)
      case 'timeout':
        log.error({ op: a[1], id: a[0] }, `fuse ${String(a[1])}: no answer in time; answered ETIMEDOUT`)
        return
      case 'exited':
        return this.exited?.()
    }
    const counts = this.config.counts
    counts[op] = (counts[op] ?? 0) + 1
    const ctx: Identity = { uid, gid, groups: groups(pid) }
    const work = this.ops[op]
    if (!work) {
      this.native.replyErr(this.s, id, constants.errno.ENOSYS)
      return
    }
    const abort = new AbortController()
    this.inFlight.set(id, abort)
    this.lastId = Math.max(this.lastId, id)
    if (ABANDONED_WHEN_INTERRUPTED.has(op)) {
      const started = Date.now()
      abort.signal.addEventListener('abort', () => {
        // a reply that comes within the grace (the op finishing) wins: answer() answers once
        const abandon = setTimeout(() => this.native.replyErr(this.s, id, EINTR_ERRNO), Math.max(0, started + INTERRUPT_GRACE_MS - Date.now()))
        abandon.unref()
      }, { once: true })
    }
    if (this.interruptedEarly.delete(id)) abort.abort()
    const answered = opStarted(op, ino, NAMED.has(op) ? (a[0] as string) : undefined)
    new Promise<void>(resolve => resolve(work(id, ino, ctx, a, pid, abort.signal)))
      .finally(() => this.inFlight.delete(id))
      .then(() => answered(OK), (err: unknown) => {
        const errno = -errnoOf(err, op, `inode ${ino}`)
        const stale = errno === ENOENT && STALE_WHEN_GONE.has(op)
        if (stale) this.stale.add(ino)
        answered(stale ? ESTALE : errno)
        this.native.replyErr(this.s, id, stale ? ESTALE : errno)
      })
      .catch((err: unknown) => log.error({ op, ino, err }, `fuse ${op}: the reply failed`))
  }

  private get s(): Session {
    if (!this.session) throw new Error('the low-level FUSE session is not attached')
    return this.session
  }

  private ref(ino: number): void {
    this.refs.set(ino, (this.refs.get(ino) ?? 0) + 1)
  }

  private forget(ino: number, n: number): void {
    const left = (this.refs.get(ino) ?? 0) - n
    if (left > 0) return void this.refs.set(ino, left)
    this.refs.delete(ino)
    this.stale.delete(ino)
    this.pages.forgotten(ino)
  }

  private interrupt(id: number): void {
    const request = this.inFlight.get(id)
    if (request) request.abort()
    else if (id > this.lastId) this.interruptedEarly.add(id)
  }

  /** entry answers a found name; an abandoned lookup (interrupted, answered EINTR) gives the kernel no reference */
  private entry(id: number, attr: Attr, signal?: AbortSignal): void {
    if (signal?.aborted) return
    this.ref(attr.ino)
    this.native.replyEntry(this.s, id, toAttrArray(attr), this.config.entryTimeout, this.config.attrTimeout)
  }

  private done(id: number): void {
    this.native.replyErr(this.s, id, OK)
  }

  /**
   * waitable runs one non-waiting lock attempt until it succeeds, backing off while the lock is
   * held elsewhere; FUSE_INTERRUPT (the waiting process got a signal) ends the wait with EINTR
   */
  private async waitable(signal: AbortSignal, wait: boolean, attempt: () => Promise<void>): Promise<void> {
    if (!wait) return attempt()
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      if (signal.aborted) throw EINTR('lock wait interrupted')
      try {
        return await attempt()
      } catch (err) {
        if (toErrno(err) !== 'EAGAIN') throw err
      }
      await sleep(delay, undefined, { signal }).catch(() => undefined)
    }
  }

  /**
   * openFlags: with the writeback cache the kernel may read through a write-only open (to fill
   * a page before a partial write) and does O_APPEND itself, so lib/fs opens for reading too
   */
  private openFlags(flags: number): number {
    if (!this.config.writebackCache) return flags
    const f = flags & ~fsc.O_APPEND
    return (f & O_ACCMODE) === fsc.O_WRONLY ? (f & ~O_ACCMODE) | fsc.O_RDWR : f
  }

  /** openFile opens for the kernel: for reading too under the writeback cache, where the caller may read */
  private async openFile(ino: number, flags: number, ctx: Identity): Promise<number> {
    const wanted = this.openFlags(flags)
    try {
      return await this.fs.open(ino, wanted, ctx, true)
    } catch (err) {
      if (wanted === flags || toErrno(err) !== 'EACCES') throw err
      return this.fs.open(ino, flags, ctx, true)
    }
  }

  private async readdir(id: number, a: unknown[], plus: boolean): Promise<void> {
    const [size, off, fh] = a as number[]
    const dir = this.dirs.get(fh)
    if (!dir) throw EINVAL(`directory handle ${fh}`)
    if (off === 0 || !dir.entries) {
      const [list, up] = await Promise.all([this.fs.readdir(dir.ino, dir.ctx), this.fs.parent(dir.ino)])
      dir.entries = [{ name: '.', ino: dir.ino, type: fsc.S_IFDIR }, { name: '..', ino: up, type: fsc.S_IFDIR }, ...list]
    }
    const chosen: Array<DirEntry & { at: number }> = []
    for (let at = off, used = 0; at < dir.entries.length && !(plus && chosen.length >= PLUS_BATCH); at++) {
      used += direntSize(dir.entries[at].name, plus)
      if (used > size) break
      chosen.push({ ...dir.entries[at], at })
    }
    const packing: DirEntryArray[] = await Promise.all(chosen.map(async e => {
      const dot = e.name === '.' || e.name === '..'
      if (!plus || dot) return [e.name, e.at + 1, [e.ino, e.type], false] as DirEntryArray
      const attr = await this.fs.getattr(e.ino).catch(() => undefined) // removed meanwhile: listed without attributes
      return [e.name, e.at + 1, attr ? toAttrArray(attr) : [e.ino, e.type], attr !== undefined] as DirEntryArray
    }))
    const packed = this.native.replyDir(this.s, id, size, plus, packing, this.config.entryTimeout, this.config.attrTimeout)
    for (const p of packing.slice(0, packed)) if (p[3]) this.ref(p[2][0])
  }

  private lockRequest(ino: number, a: unknown[]): { ino: number; owner: number; type?: LockType; start: number; end: number; pid: number; key: string } {
    const [, owner, type, start, len, pid] = a as [number, bigint, number, number, number, number]
    const o = Number(owner & OWNER_BITS)
    return {
      ino, owner: o, pid, start, end: len === 0 ? TO_EOF : start + len, key: `${ino}:${o}`,
      type: type === F_RDLCK ? 'read' : type === F_WRLCK ? 'write' : undefined,
    }
  }

  /** the ops, by the name the binding gives them: each answers its request id */
  private readonly ops: Record<string, (id: number, ino: number, ctx: Identity, a: unknown[], pid: number, signal: AbortSignal) => Promise<void>> = {
    lookup: async (id, parent, _ctx, [name], _pid, signal) => {
      // the kernel leaves name lengths to us
      if (Buffer.byteLength(name as string) > NAME_MAX) throw ENAMETOOLONG(name as string)
      // by node id (FUSE_EXPORT_SUPPORT): a file handle names an inode the kernel may have forgotten
      if (name === '.') return this.entry(id, await this.fs.getattr(parent), signal)
      if (name === '..') return this.entry(id, await this.fs.getattr(await this.fs.parent(parent)), signal)
      try {
        let attr = await this.fs.lookup(parent, name as string, ROOT)
        // lib/fs remembers names too: one that led to an inode found gone must be read afresh
        if (this.stale.delete(attr.ino)) attr = await this.fs.lookup(parent, name as string, ROOT, true)
        this.entry(id, attr, signal)
      } catch (err) {
        if (toErrno(err) !== 'ENOENT' || this.config.negativeTimeout <= 0) throw err
        this.native.replyEntry(this.s, id, NO_ENTRY, this.config.negativeTimeout, 0)
      }
    },

    getattr: async (id, ino) => this.native.replyAttr(this.s, id, toAttrArray(await this.fs.getattr(ino)), this.config.attrTimeout),

    setattr: async (id, ino, ctx, a) => {
      const [set, mode, uid, gid, size, asec, ansec, msec, mnsec, fh] = a as number[]
      const change: AttrChange = {}
      if (set & SET_MODE) change.mode = mode & 0o7777
      if (set & SET_UID) change.uid = uid
      if (set & SET_GID) change.gid = gid
      if (set & SET_SIZE) change.size = size
      if (set & SET_ATIME_NOW) change.atime = 'now'
      else if (set & SET_ATIME) change.atime = { sec: asec, nsec: ansec }
      if (set & SET_MTIME_NOW) change.mtime = 'now'
      else if (set & SET_MTIME) change.mtime = { sec: msec, nsec: mnsec }
      this.pages.changed(ino)
      const attr = await this.fs.setattr(ino, change, ctx, fh || undefined)
      this.native.replyAttr(this.s, id, toAttrArray(attr), this.config.attrTimeout)
    },

    readlink: async (id, ino) => this.native.replyReadlink(this.s, id, await this.fs.readlink(ino)),

    // creating ops carry the creator's umask (FUSE_CAP_DONT_MASK): lib/fs applies it, or a default ACL instead
    mknod: async (id, parent, ctx, [name, mode, rdev, umask]) =>
      this.entry(id, await this.fs.mknod(parent, name as string, mode as number, rdev as number, { ...ctx, umask: umask as number })),

    mkdir: async (id, parent, ctx, [name, mode, umask]) =>
      this.entry(id, await this.fs.mkdir(parent, name as string, mode as number, { ...ctx, umask: umask as number })),

    symlink: async (id, parent, ctx, [name, target]) =>
      this.entry(id, await this.fs.symlink(parent, name as string, target as string, ctx)),

    link: async (id, ino, ctx, [newParent, newName]) =>
      this.entry(id, await this.fs.link(ino, newParent as number, newName as string, ctx)),

    unlink: async (id, parent, ctx, [name]) => {
      await this.fs.unlink(parent, name as string, ctx)
      this.done(id)
    },

    rmdir: async (id, parent, ctx, [name]) => {
      await this.fs.rmdir(parent, name as string, ctx)
      this.done(id)
    },

    // RENAME_NOREPLACE is checked here (not atomically: another mount may make the name
    // in between); RENAME_EXCHANGE is not supported
    rename: async (id, parent, ctx, [name, newParent, newName, flags]) => {
      if ((flags as number) & ~RENAME_NOREPLACE) throw EINVAL('rename: only RENAME_NOREPLACE is supported')
      if ((flags as number) & RENAME_NOREPLACE) {
        const exists = await this.fs.lookup(newParent as number, newName as string, ROOT).then(() => true, () => false)
        if (exists) throw EEXIST(newName as string)
      }
      await this.fs.rename(parent, name as string, newParent as number, newName as string, ctx)
      this.done(id)
    },

    create: async (id, parent, ctx, [name, mode, flags, umask]) => {
      const { attr, fh } = await this.fs.create(parent, name as string, mode as number, this.openFlags(flags as number), { ...ctx, umask: umask as number })
      this.ref(attr.ino)
      this.pages.opened(attr.ino, attr, false)
      this.native.replyCreate(this.s, id, toAttrArray(attr), this.config.entryTimeout, this.config.attrTimeout, fh)
    },

    // the kernel opens what one of its names led to: an inode without names left is a stale name.
    // Its cached pages stay when the file is as this mount last saw it (PageCache)
    open: async (id, ino, ctx, [flags], _pid, signal) => {
      const fh = await this.openFile(ino, flags as number, ctx)
      // abandoned (interrupted, answered EINTR): the kernel never got the handle
      if (signal.aborted) return this.fs.release(fh)
      const keep = this.pages.opened(ino, await this.fs.fgetattr(fh), true)
      this.native.replyOpen(this.s, id, fh, keep)
    },

    read: async (id, _ino, _ctx, [size, off, fh]) =>
      this.native.replyBuf(this.s, id, await this.fs.read(fh as number, off as number, size as number)),

    // the buffer is the binding's copy of the request; lib/fs copies it again before its write settles
    write: async (id, ino, _ctx, [buf, off, fh, writepage]) => {
      this.pages.changed(ino)
      // with the writeback cache the kernel writes its pages back, at their offsets (it appends itself)
      const writeback = writepage === 1 || this.config.writebackCache === true
      this.native.replyWrite(this.s, id, await this.fs.write(fh as number, off as number, buf as Buffer, { writeback }))
    },

    // close(2) of a descriptor: the data becomes visible elsewhere; POSIX locks of the closing
    // owner go (the kernel leaves that to us when it passes locks on)
    flush: async (id, ino, _ctx, [fh, owner], pid) => {
      await this.fs.flush(fh as number)
      const o = Number((owner as bigint) & OWNER_BITS)
      if (this.lockOwners.delete(`${ino}:${o}`)) await this.fs.setlk(ino, { owner: o, pid, start: 0, end: TO_EOF }, false)
      this.done(id)
    },

    release: async (id, ino, _ctx, [fh]) => {
      this.pages.closed(ino)
      await this.fs.release(fh as number)
      this.done(id)
    },

    fsync: async (id, _ino, _ctx, [, fh]) => {
      await this.fs.fsync(fh as number)
      this.done(id)
    },

    // lib/fs holds an open directory as an open file: replaced by a rename or removed, it keeps
    // its attributes (nlink 0) until the last close
    opendir: async (id, ino, ctx, _a, _pid, signal) => {
      const fh = await this.fs.opendir(ino, ctx)
      if (signal.aborted) return this.fs.releasedir(fh)
      this.dirs.set(fh, { ino, ctx })
      this.native.replyOpen(this.s, id, fh, false)
    },

    readdir: (id, _ino, _ctx, a) => this.readdir(id, a, false),
    readdirplus: (id, _ino, _ctx, a) => this.readdir(id, a, true),

    releasedir: async (id, _ino, _ctx, [fh]) => {
      this.dirs.delete(fh as number)
      await this.fs.releasedir(fh as number)
      this.done(id)
    },

    fsyncdir: async id => {
      await this.fs.sync()
      this.done(id)
    },

    statfs: async id => {
      const s = toStatfs(await this.fs.statfs())
      this.native.replyStatfs(this.s, id, [s.bsize, s.frsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.namemax])
    },

    access: async (id, ino, ctx, [mask]) => {
      await this.fs.access(ino, mask as number, ctx)
      this.done(id)
    },

    setxattr: async (id, ino, ctx, [name, value, flags]) => {
      await this.fs.setxattr(ino, name as string, Buffer.from(value as Buffer), flags as number, ctx)
      this.done(id)
    },

    getxattr: async (id, ino, _ctx, [name, size]) => {
      const value = await this.fs.getxattr(ino, name as string)
      if (size === 0) return this.native.replyXattrSize(this.s, id, value.length)
      if (value.length > (size as number)) throw ERANGE(`xattr ${String(name)} is ${value.length} bytes`)
      this.native.replyBuf(this.s, id, value)
    },

    listxattr: async (id, ino, _ctx, [size]) => {
      const packed = Buffer.concat((await this.fs.listxattr(ino)).map(n => Buffer.from(`${n}\0`)))
      if (size === 0) return this.native.replyXattrSize(this.s, id, packed.length)
      if (packed.length > (size as number)) throw ERANGE('xattr list')
      this.native.replyBuf(this.s, id, packed)
    },

    removexattr: async (id, ino, ctx, [name]) => {
      await this.fs.removexattr(ino, name as string, ctx)
      this.done(id)
    },

    getlk: async (id, ino, _ctx, a) => {
      const want = this.lockRequest(ino, a)
      const held = await this.fs.getlk(ino, want)
      if (!held) return this.native.replyLock(this.s, id, F_UNLCK, want.start, 0, 0)
      const len = held.end >= TO_EOF ? 0 : held.end - held.start
      this.native.replyLock(this.s, id, held.type === 'write' ? F_WRLCK : F_RDLCK, held.start, len, held.pid)
    },

    setlk: async (id, ino, _ctx, a, _pid, signal) => {
      const want = this.lockRequest(ino, a)
      await this.waitable(signal, (a[6] as number) !== 0, () => this.fs.setlk(ino, want, false))
      if (want.type) this.lockOwners.add(want.key)
      this.done(id)
    },

    flock: async (id, ino, _ctx, [fh, op], _pid, signal) => {
      const o = op as number
      const type: LockType | undefined = o & LOCK_EX ? 'write' : o & LOCK_SH ? 'read' : undefined
      await this.waitable(signal, type !== undefined && !(o & LOCK_NB), () => this.fs.flock(ino, fh as number, type, false))
      this.done(id)
    },
  }
}
