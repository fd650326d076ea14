// POSIX semantics over inodes: every metadata change is one optimistic transaction on the
// MetaStore (tx.ts); file data goes through the data path (file-data.ts). Nothing here knows
// about FUSE or about which engine or driver is underneath.
import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { LRUCache } from 'lru-cache'
import { openPool } from '../../drivers'
import type { PoolDriver } from '../../drivers/driver'
import { BlobStore, type Placement, type Pool } from '../data/blob-store'
import { CHUNK_SIZE } from '../data/extent'
import { ReadCache } from '../data/read-cache'
import { ConfigError, EBADF, EEXIST, EINVAL, EISDIR, ENOENT, ENOSPC, ENOTDIR, ENOTEMPTY, EPERM } from '../errors'
import type { MetaStore } from '../meta/store'
import { allowed, check, checkSticky, inGroup, R, W, X } from './access'
import { FileData } from './file-data'
import type { Lock, LockType } from './lock-table'
import { Locks, type LockRequest } from './locks'
import { Xattrs } from './xattrs'
import {
  decodeInode, encodeInode, isDir, isLink, isReg, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, S_ISUID,
  toAttr, type Inode,
} from './inode'
import { checkName, components } from './names'
import { log } from '../log'
import { Handles } from './handles'
import { InodeCache } from './inode-cache'
import { ObservedStore } from './observed-store'
import { OpenMarks } from './open-marks'
import { Keys, ROOT_INO, type Settings } from './schema'
import { transact, type Tx } from './tx'
import { ROOT, type Attr, type AttrChange, type DirEntry, type Identity, type StatFs } from './types'

const INODE_BATCH = 1000
const MAX_INO = 2 ** 32 - 1 // fuse-native carries st_ino in 32 bits
const SESSION_TTL = 20
/**
 * how often what was committed is made durable without an fsync (as ext4's default commit
 * interval): blobs are written to the pools at once but fsynced in batches (docs/filesystem.md, "Durability")
 */
const WRITEBACK_MS = 5000
/** how often a path walk starts again when what a name led to vanished under it */
const LOCATE_ATTEMPTS = 4
const { O_WRONLY, O_RDWR, O_TRUNC, O_APPEND, O_EXCL } = constants
const O_ACCMODE = O_WRONLY | O_RDWR

export interface FormatOptions {
  name: string
  blockSize?: number
  copies?: number
  pools: Settings['pools']
}

export interface OpenOptions {
  name?: string
  /** the owner of new inodes when an operation gives none (the FUSE adapter's caller) */
  identity?: Identity
  /** how long a looked-up name is trusted before the store is asked again */
  entryTtlMs?: number
  readCacheBytes?: number
  /** opens the pools and the placement the mount writes through (default: the pools of the Settings, no placement) */
  openPools?: (store: MetaStore) => Promise<{ pools: Pool[]; placement?: Placement }>
}

/** openSettingsPools opens the pools format wrote into the Settings, all or none */
async function openSettingsPools(settings: Settings): Promise<{ pools: Pool[]; placement?: Placement }> {
  const pools: Pool[] = []
  try {
    for (const [name, config] of Object.entries(settings.pools)) pools.push({ name, driver: await openPool(config) })
  } catch (err) {
    for (const p of pools) await p.driver.close()
    throw err
  }
  return { pools }
}

/** A name this mount looked up or made: the inode it names, and the entry record as a lookup read it */
interface Dentry {
  ino: number
  entry?: { value: Buffer; rev: number }
}

export class Filesystem {
  readonly name: string
  readonly identity: Identity
  private readonly keys: Keys
  private readonly opened = new Handles()
  private readonly dentries: LRUCache<string, Dentry>
  private readonly locks: Locks
  private readonly xattrs: Xattrs
  private readonly marks: OpenMarks
  private readonly writeback = setInterval(() => {
    this.sync().catch((err: unknown) => log.warn({ err }, 'writeback: making committed changes durable failed; trying again'))
  }, WRITEBACK_MS).unref()
  private inoNext = 0
  private inoEnd = 0
  private closed = false

  private constructor(
    private readonly store: MetaStore,
    readonly settings: Settings,
    private readonly pools: PoolDriver[],
    private readonly data: FileData,
    private readonly session: { sid: string; lease: number; timer: NodeJS.Timeout },
    private readonly inodes: InodeCache,
    opts: OpenOptions,
  ) {
    this.name = settings.name
    this.keys = new Keys(settings.name)
    this.identity = opts.identity ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
    this.dentries = new LRUCache({ max: 100_000, ttl: opts.entryTtlMs ?? 1000 })
    this.locks = new Locks(store, this.keys, session.sid)
    this.xattrs = new Xattrs(store, this.keys, inodes)
    this.marks = new OpenMarks(store, this.keys, {
      sid: session.sid,
      lease: session.lease,
      isOpen: ino => this.opened.file(ino) !== undefined,
      reap: ino => this.reap(ino),
    })
  }

  /** format writes the settings and the root directory of a new filesystem. */
  static async format(store: MetaStore, opts: FormatOptions): Promise<void> {
    checkFsName(opts.name)
    const blockSize = opts.blockSize ?? 4 * 1024 * 1024
    if (!Number.isInteger(blockSize) || blockSize < 4096 || blockSize > CHUNK_SIZE || CHUNK_SIZE % blockSize !== 0) {
      throw new ConfigError('block-size', `${blockSize} must be a power of two between 4 KiB and 64 MiB`)
    }
    if (Object.keys(opts.pools).length === 0) throw new ConfigError('pools', 'a filesystem needs at least one pool')
    const keys = new Keys(opts.name)
    const now = Date.now()
    const settings: Settings = {
      name: opts.name, blockSize, chunkSize: CHUNK_SIZE, pools: opts.pools,
      copies: opts.copies ?? 1, createdMs: now,
    }
    const root: Inode = {
      ino: ROOT_INO, mode: S_IFDIR | 0o755, uid: 0, gid: 0, nlink: 2, size: 4096, rdev: 0,
      atimeMs: now, mtimeMs: now, ctimeMs: now, parent: ROOT_INO, entries: 0,
    }
    const res = await store.txn(
      [{ key: keys.setting(), target: 'create', op: '=', value: 0 }],
      [
        { type: 'put', key: keys.setting(), value: JSON.stringify(settings) },
        { type: 'put', key: keys.inode(ROOT_INO), value: encodeInode(root) },
        { type: 'put', key: keys.nextInode(), value: String(ROOT_INO + 1) },
      ],
    )
    if (!res.succeeded) throw new ConfigError('name', `filesystem '${opts.name}' is already formatted in this metadata store`)
  }

  /** exists tells whether a filesystem of this name is formatted in the store. */
  static async exists(store: MetaStore, name: string): Promise<boolean> {
    return (await store.get(new Keys(name).setting())).kv !== null
  }

  /** open mounts nothing: it reads the settings, opens the pools and starts a session. */
  static async open(backing: MetaStore, opts: OpenOptions = {}): Promise<Filesystem> {
    const name = opts.name ?? 'meridian'
    const keys = new Keys(name)
    const inodes = new InodeCache(keys)
    const store = new ObservedStore(backing, (ops, revision) => inodes.observe(ops, revision))
    const { kv } = await store.get(keys.setting())
    if (!kv) throw new ConfigError('name', `no filesystem '${name}' in this metadata store: run meridian format first`)
    const settings = JSON.parse(kv.value.toString()) as Settings
    const { pools: named, placement } = opts.openPools ? await opts.openPools(store) : await openSettingsPools(settings)
    const pools = named.map(p => p.driver)
    const blobs = new BlobStore(named, { copies: settings.copies, cache: new ReadCache({ maxBytes: opts.readCacheBytes }), placement })
    const data = new FileData(store, keys, blobs, inodes, settings)
    const sid = randomUUID()
    const lease = await store.grant(SESSION_TTL)
    await store.txn([], [{ type: 'put', key: keys.session(sid), value: JSON.stringify({ pid: process.pid, startedMs: Date.now() }), lease }])
    const timer = setInterval(() => { store.keepAlive(lease).catch(() => undefined) }, (SESSION_TTL * 1000) / 4)
    timer.unref()
    const fs = new Filesystem(store, settings, pools, data, { sid, lease, timer }, inodes, opts)
    await fs.marks.watchGone()
    await fs.reapGone()
    return fs
  }

  // ---- reading inodes and names ----

  private async inode(tx: Tx, ino: number): Promise<Inode> {
    return this.inodes.read(tx, ino)
  }

  private put(tx: Tx, i: Inode): void {
    tx.put(this.keys.inode(i.ino), encodeInode(i))
  }

  private async dir(tx: Tx, ino: number): Promise<Inode> {
    const d = await this.inode(tx, ino)
    if (!isDir(d)) throw ENOTDIR(`inode ${ino}`)
    return d
  }

  /** entry reads a directory entry: the parent (checked to be a directory) and the child ino, or 0 */
  private async entry(tx: Tx, parent: number, name: string): Promise<{ dir: Inode; child: number }> {
    const [, rawEntry] = await tx.get(this.keys.inode(parent), this.keys.entry(parent, name))
    const dir = await this.inodes.read(tx, parent) // read already: no round trip
    if (!isDir(dir)) throw ENOTDIR(`inode ${parent}`)
    return { dir, child: rawEntry ? (JSON.parse(rawEntry.toString()) as [number, number])[0] : 0 }
  }

  /**
   * assumeEntry takes the entry parent/name as this mount's last lookup read it, and the parent
   * directory from the inode cache, as read in tx (guarded on their revisions, no round trip),
   * unless a conflicting run before relied on the same entry. Returns the inode the name led
   * to, if the name is cached at all (its record is then worth reading ahead).
   */
  private assumeEntry(tx: Tx, parent: number, name: string): number | undefined {
    const cached = this.dentries.get(`${parent}/${name}`)
    const key = this.keys.entry(parent, name)
    if (cached?.entry && tx.guardedBefore(key) === undefined && this.inodes.assume(tx, parent)) {
      tx.assume(key, cached.entry.value, cached.entry.rev)
    }
    return cached?.ino
  }

  /**
   * readNames brings into tx the directories and entries of names, and the inodes the dentry
   * cache says they name: what the caches hold is assumed (assumeEntry), the rest is read in
   * one round trip, so that the entry() and inode reads after it cost none
   */
  private async readNames(tx: Tx, ...names: Array<[number, string]>): Promise<void> {
    const keys: string[] = []
    for (const [parent, name] of names) {
      const cached = this.assumeEntry(tx, parent, name)
      keys.push(this.keys.inode(parent), this.keys.entry(parent, name))
      if (cached !== undefined) keys.push(this.keys.inode(cached))
    }
    await tx.get(...keys)
  }

  /**
   * newEntry is entry for a name about to be made. With the parent cached it reads nothing: it
   * takes the cached parent and assumes the name absent (the kernel has just looked it up),
   * unless a conflicting run before assumed so already; a wrong guess fails the commit, and
   * the next run reads.
   */
  private async newEntry(tx: Tx, parent: number, name: string): Promise<{ dir: Inode; child: number }> {
    const key = this.keys.entry(parent, name)
    const guessable = tx.guardedBefore(key) === undefined && tx.revisionOf(key) === undefined
    const dir = guessable ? this.inodes.assume(tx, parent) : undefined
    if (!dir) return this.entry(tx, parent, name)
    if (!isDir(dir)) throw ENOTDIR(`inode ${parent}`)
    tx.assume(key, null, 0)
    return { dir, child: 0 }
  }

  private attr(i: Inode): Attr {
    const open = this.opened.file(i.ino)
    return toAttr(open && open.size > i.size ? { ...i, size: open.size } : i)
  }

  /** lookup finds name in the directory parent. */
  async lookup(parent: number, name: string, ctx: Identity = ROOT): Promise<Attr> {
    const ino = await this.lookupIno(parent, name, ctx)
    return this.getattr(ino)
  }

  private async lookupIno(parent: number, name: string, ctx: Identity): Promise<number> {
    const ino = await this.findIno(parent, name, ctx)
    if (!ino) throw ENOENT(name)
    return ino
  }

  /**
   * findIno is lookupIno, but answers 0 for a name missing from a directory the store still
   * has (ENOENT means the directory itself is gone)
   */
  private async findIno(parent: number, name: string, ctx: Identity): Promise<number> {
    if (Buffer.byteLength(name) > 255) return 0
    const cached = this.dentries.get(`${parent}/${name}`)
    if (cached !== undefined) return cached.ino
    return transact(this.store, 'lookup', async tx => {
      const { dir, child } = await this.entry(tx, parent, name)
      check(dir, ctx, X, name)
      const key = this.keys.entry(parent, name)
      const [value] = await tx.get(key) // read already: no round trip
      if (child && value) this.dentries.set(`${parent}/${name}`, { ino: child, entry: { value, rev: tx.revisionOf(key) ?? 0 } })
      return child
    })
  }

  /** resolve walks an absolute path (no final symlink followed). */
  async resolve(path: string, ctx: Identity = ROOT): Promise<Attr> {
    return this.locate(components(path), ctx)
  }

  /** resolveParent walks to the directory that holds the last component of path. */
  async resolveParent(path: string, ctx: Identity = ROOT): Promise<{ parent: number; name: string }> {
    const names = components(path)
    const name = names.pop()
    if (name === undefined || name === '..') throw EINVAL(`${path} has no last component`)
    return { parent: (await this.locate(names, ctx)).ino, name }
  }

  /**
   * locate walks names and reads the inode they lead to. Another mount may remove or replace
   * what a name led to while we walk (or while a name sits in our cache): an ENOENT for an
   * inode that a name led to, rather than for a missing name, forgets the names used and walks
   * again through the store, a few times at most. A name missing from a directory the store
   * still has is believed at once: the lookup that missed it read that directory afresh.
   */
  private async locate(names: string[], ctx: Identity): Promise<Attr> {
    for (let attempt = 1; ; attempt++) {
      const cached: string[] = []
      // vanished: the inode the names led to is gone (a rename over it, say): always walk again
      const retry = (err: unknown, vanished: boolean): void => {
        if (attempt >= LOCATE_ATTEMPTS || (err as { code?: string }).code !== 'ENOENT') throw err
        if (!vanished && cached.length === 0) throw err
        for (const key of cached) this.dentries.delete(key)
      }
      let ino: number
      try {
        ino = await this.walk(names, ctx, cached)
      } catch (err) {
        retry(err, false)
        continue
      }
      if (!ino) throw ENOENT(names.join('/'))
      try {
        const attr = await this.getattr(ino)
        // a cached name may lead to an inode that lost its names but is still open somewhere
        if (attr.nlink > 0 || cached.length === 0) return attr
        throw ENOENT(`inode ${ino} has no names left`)
      } catch (err) {
        retry(err, true)
      }
    }
  }

  /**
   * walk follows names from the root, the dentry-cache keys it used pushed onto cached; 0 when
   * a name is missing from its (live) directory
   */
  private async walk(names: string[], ctx: Identity, cached: string[]): Promise<number> {
    let ino = ROOT_INO
    for (const name of names) {
      if (name === '..') {
        ino = await this.parentOf(ino)
        continue
      }
      const key = `${ino}/${name}`
      if (this.dentries.has(key)) cached.push(key)
      ino = await this.findIno(ino, name, ctx)
      if (!ino) return 0
    }
    return ino
  }

  private async parentOf(ino: number): Promise<number> {
    return transact(this.store, 'lookup ..', async tx => (await this.dir(tx, ino)).parent ?? ROOT_INO)
  }

  /**
   * trustAttributes lets getattr answer from inode records this mount read or wrote in the
   * last ttlMs (the mount sets it to the kernel's attribute timeout; 0, the default: never)
   */
  trustAttributes(ttlMs: number): void {
    this.inodes.trust(ttlMs)
  }

  async getattr(ino: number): Promise<Attr> {
    return this.attr(this.inodes.get(ino) ?? (await transact(this.store, 'getattr', tx => this.inodes.read(tx, ino))))
  }

  // ---- creating names ----

  private async allocIno(): Promise<number> {
    if (this.inoNext >= this.inoEnd) {
      const start = await transact(this.store, 'allocate inodes', async tx => {
        const [raw] = await tx.get(this.keys.nextInode())
        const next = Number(raw?.toString() ?? ROOT_INO + 1)
        if (next + INODE_BATCH > MAX_INO) throw ENOSPC('no inode numbers left')
        tx.put(this.keys.nextInode(), String(next + INODE_BATCH))
        return next
      })
      this.inoNext = start
      this.inoEnd = start + INODE_BATCH
    }
    return this.inoNext++
  }

  /** link a new inode into parent under name; the common part of mkdir, mknod, create, symlink */
  private async make(parent: number, name: string, ctx: Identity, build: (ino: number, dir: Inode, now: number) => Inode, opened = false): Promise<Inode> {
    checkName(name)
    const ino = await this.allocIno()
    const made = await transact(this.store, 'create', async tx => {
      const { dir, child } = await this.newEntry(tx, parent, name)
      check(dir, ctx, W | X, name)
      if (child) throw EEXIST(name)
      if (dir.nlink === 0) throw ENOENT(`directory ${parent} was removed`)
      const now = Date.now()
      const i = build(ino, dir, now)
      // new inodes take the directory's group when it is setgid, and directories inherit the bit
      if (dir.mode & S_ISGID) {
        i.gid = dir.gid
        if (isDir(i)) i.mode |= S_ISGID
      }
      this.put(tx, i)
      if (opened) this.marks.put(tx, ino)
      tx.put(this.keys.entry(parent, name), JSON.stringify([ino, i.mode & S_IFMT]))
      dir.entries = (dir.entries ?? 0) + 1
      if (isDir(i)) dir.nlink++
      dir.mtimeMs = dir.ctimeMs = now
      this.put(tx, dir)
      return i
    })
    if (opened) this.marks.committed(ino)
    this.dentries.set(`${parent}/${name}`, { ino })
    return made
  }

  private fresh(ino: number, mode: number, ctx: Identity, now: number): Inode {
    return { ino, mode, uid: ctx.uid, gid: ctx.gid, nlink: 1, size: 0, rdev: 0, atimeMs: now, mtimeMs: now, ctimeMs: now, xattrs: 0 }
  }

  async mkdir(parent: number, name: string, mode: number, ctx: Identity): Promise<Attr> {
    const i = await this.make(parent, name, ctx, (ino, _dir, now) => ({
      ...this.fresh(ino, S_IFDIR | (mode & 0o7777), ctx, now), nlink: 2, size: 4096, parent, entries: 0,
    }))
    return this.attr(i)
  }

  async mknod(parent: number, name: string, mode: number, rdev: number, ctx: Identity): Promise<Attr> {
    const type = mode & S_IFMT || S_IFREG
    if (type === S_IFDIR || type === S_IFLNK) throw EINVAL(`mknod cannot make type ${type.toString(8)}`)
    const i = await this.make(parent, name, ctx, (ino, _dir, now) => ({ ...this.fresh(ino, type | (mode & 0o7777), ctx, now), rdev }))
    return this.attr(i)
  }

  async symlink(parent: number, name: string, target: string, ctx: Identity): Promise<Attr> {
    if (Buffer.byteLength(target) >= 4096) throw EINVAL('symlink target over 4095 bytes')
    const i = await this.make(parent, name, ctx, (ino, _dir, now) => ({
      ...this.fresh(ino, S_IFLNK | 0o777, ctx, now), size: Buffer.byteLength(target), target,
    }))
    return this.attr(i)
  }

  async readlink(ino: number): Promise<string> {
    const i = await transact(this.store, 'readlink', tx => this.inode(tx, ino))
    if (!isLink(i)) throw EINVAL(`inode ${ino} is not a symlink`)
    return i.target ?? ''
  }

  async create(parent: number, name: string, mode: number, flags: number, ctx: Identity): Promise<{ attr: Attr; fh: number }> {
    try {
      const i = await this.make(parent, name, ctx, (ino, _dir, now) => this.fresh(ino, S_IFREG | (mode & 0o7777), ctx, now), true)
      const { file, fresh } = this.opened.reserve(i.ino)
      return { attr: this.attr(i), fh: this.opened.attach(file, fresh, i.size, flags & ~O_TRUNC) }
    } catch (err) {
      // O_CREAT without O_EXCL opens what is already there
      if ((err as { code?: string }).code !== 'EEXIST' || flags & O_EXCL) throw err
      const existing = await this.lookupIno(parent, name, ctx)
      const fh = await this.open(existing, flags, ctx)
      return { attr: await this.getattr(existing), fh }
    }
  }

  async link(ino: number, newParent: number, newName: string, ctx: Identity): Promise<Attr> {
    checkName(newName)
    const i = await transact(this.store, 'link', async tx => {
      const i = await this.inode(tx, ino)
      if (isDir(i)) throw EPERM('hard links to directories are not allowed')
      const { dir, child } = await this.entry(tx, newParent, newName)
      check(dir, ctx, W | X, newName)
      if (child) throw EEXIST(newName)
      if (i.nlink === 0) throw ENOENT(`inode ${ino} has no names left`)
      const now = Date.now()
      i.nlink++
      i.ctimeMs = now
      dir.entries = (dir.entries ?? 0) + 1
      dir.mtimeMs = dir.ctimeMs = now
      this.put(tx, i)
      this.put(tx, dir)
      tx.put(this.keys.entry(newParent, newName), JSON.stringify([ino, i.mode & S_IFMT]))
      return i
    })
    this.dentries.set(`${newParent}/${newName}`, { ino })
    return this.attr(i)
  }

  // ---- removing names ----

  /** drop one name of an inode inside a transaction; frees it when no name and no handle is left */
  private async dropName(tx: Tx, i: Inode, now: number): Promise<void> {
    i.nlink = isDir(i) ? 0 : i.nlink - 1
    i.ctimeMs = now
    const open = this.opened.file(i.ino)
    if (i.nlink > 0) {
      this.put(tx, i)
    } else if (open || (await this.marks.othersAfterUnlink(tx, i.ino)).length > 0) {
      // some mount has it open: it stays, nameless, until the last close anywhere
      if (open) open.gone = true
      this.put(tx, i)
      tx.put(this.keys.gone(i.ino), this.session.sid)
    } else {
      this.free(tx, i.ino)
    }
  }

  private free(tx: Tx, ino: number): void {
    tx.delete(this.keys.inode(ino))
    tx.delete(this.keys.gone(ino))
    tx.deletePrefix(this.keys.chunks(ino))
    tx.deletePrefix(this.keys.xattrs(ino))
  }

  async unlink(parent: number, name: string, ctx: Identity): Promise<void> {
    await transact(this.store, 'unlink', async tx => {
      await this.readNames(tx, [parent, name])
      const { dir, child } = await this.entry(tx, parent, name)
      check(dir, ctx, W | X, name)
      if (!child) throw ENOENT(name)
      const i = await this.inodes.readAssuming(tx, child)
      if (isDir(i)) throw EISDIR(name)
      checkSticky(dir, i, ctx, name)
      const now = Date.now()
      tx.delete(this.keys.entry(parent, name))
      dir.entries = (dir.entries ?? 1) - 1
      dir.mtimeMs = dir.ctimeMs = now
      this.put(tx, dir)
      await this.dropName(tx, i, now)
    })
    this.forgetName(parent, name)
  }

  async rmdir(parent: number, name: string, ctx: Identity): Promise<void> {
    await transact(this.store, 'rmdir', async tx => {
      const { dir, child } = await this.entry(tx, parent, name)
      check(dir, ctx, W | X, name)
      if (!child) throw ENOENT(name)
      const i = await this.inode(tx, child)
      if (!isDir(i)) throw ENOTDIR(name)
      if ((i.entries ?? 0) > 0) throw ENOTEMPTY(name)
      checkSticky(dir, i, ctx, name)
      const now = Date.now()
      tx.delete(this.keys.entry(parent, name))
      dir.entries = (dir.entries ?? 1) - 1
      dir.nlink--
      dir.mtimeMs = dir.ctimeMs = now
      this.put(tx, dir)
      this.free(tx, i.ino)
    })
    this.forgetName(parent, name)
  }

  private forgetName(parent: number, name: string): void {
    this.dentries.delete(`${parent}/${name}`)
  }

  async rename(parent: number, name: string, newParent: number, newName: string, ctx: Identity): Promise<void> {
    checkName(newName)
    if (parent === newParent && name === newName) {
      await this.lookupIno(parent, name, ctx)
      return
    }
    await transact(this.store, 'rename', async tx => {
      await this.readNames(tx, [parent, name], [newParent, newName])
      const src = await this.entry(tx, parent, name)
      const dst = parent === newParent ? { dir: src.dir, child: 0 } : await this.entry(tx, newParent, newName)
      if (parent === newParent) dst.child = (await this.entry(tx, newParent, newName)).child
      check(src.dir, ctx, W | X, name)
      check(dst.dir, ctx, W | X, newName)
      if (!src.child) throw ENOENT(name)
      const moved = await this.inodes.readAssuming(tx, src.child)
      checkSticky(src.dir, moved, ctx, name)
      if (dst.child === src.child) return // two names of one inode: POSIX says do nothing
      const now = Date.now()
      let replaced: Inode | undefined
      if (dst.child) {
        replaced = await this.inode(tx, dst.child)
        checkSticky(dst.dir, replaced, ctx, newName)
        if (isDir(moved) && !isDir(replaced)) throw ENOTDIR(newName)
        if (!isDir(moved) && isDir(replaced)) throw EISDIR(newName)
        if (isDir(replaced) && (replaced.entries ?? 0) > 0) throw ENOTEMPTY(newName)
      }
      if (isDir(moved) && parent !== newParent) {
        await this.checkNotInside(tx, moved.ino, newParent)
        // moving a directory rewrites its '..', which needs write permission on it
        check(moved, ctx, W, name)
      }
      tx.delete(this.keys.entry(parent, name))
      tx.put(this.keys.entry(newParent, newName), JSON.stringify([moved.ino, moved.mode & S_IFMT]))
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
      this.put(tx, moved)
      this.put(tx, src.dir)
      if (dst.dir !== src.dir) this.put(tx, dst.dir)
    })
    this.forgetName(parent, name)
    this.forgetName(newParent, newName)
  }

  /** EINVAL when dir is target or one of its ancestors: a directory cannot move into itself */
  private async checkNotInside(tx: Tx, dir: number, target: number): Promise<void> {
    for (let at = target; ; ) {
      if (at === dir) throw EINVAL('cannot move a directory into itself')
      if (at === ROOT_INO) return
      at = (await this.dir(tx, at)).parent ?? ROOT_INO
    }
  }

  // ---- attributes ----

  async setattr(ino: number, change: AttrChange, ctx: Identity, fh?: number): Promise<Attr> {
    // writes this mount has not committed yet come first: their commit must not overwrite
    // times set after them (cp -p, tar -x)
    const open = this.opened.file(ino)
    if (open && (change.mtimeMs !== undefined || change.atimeMs !== undefined)) await this.data.commit(open)
    if (change.size !== undefined) await this.truncate(ino, change.size, ctx, fh)
    const i = await transact(this.store, 'setattr', async tx => {
      const i = await this.inode(tx, ino)
      const owner = ctx.uid === 0 || ctx.uid === i.uid
      const now = Date.now()
      if (change.mode !== undefined) {
        // anyone who may write may drop setuid/setgid: the kernel does so when a non-owner writes
        const dropsPrivs = change.mode === (i.mode & 0o7777 & ~(S_ISUID | S_ISGID))
        if (!owner && !dropsPrivs) throw EPERM('chmod: not the owner')
        let mode = change.mode & 0o7777
        // a non-root owner outside the file's group cannot set setgid: the kernel drops it
        if (ctx.uid !== 0 && !inGroup(ctx, i.gid)) mode &= ~S_ISGID
        i.mode = (i.mode & S_IFMT) | mode
      }
      if (change.uid !== undefined || change.gid !== undefined) {
        const uid = change.uid ?? i.uid
        const gid = change.gid ?? i.gid
        if (ctx.uid !== 0 && (uid !== i.uid || !owner || (gid !== i.gid && !inGroup(ctx, gid)))) throw EPERM('chown')
        // a change of owner drops setuid, and setgid on group-executable files, like the kernel
        if (!isDir(i) && (uid !== i.uid || gid !== i.gid)) {
          i.mode &= ~S_ISUID
          if (i.mode & 0o010) i.mode &= ~S_ISGID
        }
        i.uid = uid
        i.gid = gid
      }
      for (const [field, key] of [['atimeMs', 'atimeMs'], ['mtimeMs', 'mtimeMs']] as const) {
        const v = change[field]
        if (v === undefined) continue
        // explicit times need ownership; 'now' needs ownership or write permission
        if (!owner && (v !== 'now' || !allowed(i, ctx, W))) throw v === 'now' ? EPERM('utimens') : EPERM('utimens: not the owner')
        i[key] = v === 'now' ? now : v
      }
      i.ctimeMs = now
      this.put(tx, i)
      return i
    })
    return this.attr(i)
  }

  private async truncate(ino: number, size: number, ctx: Identity, fh?: number): Promise<void> {
    if (!Number.isInteger(size) || size < 0) throw EINVAL(`size ${size}`)
    const open = this.opened.file(ino)
    const viaHandle = fh !== undefined && this.opened.find(fh)?.file.ino === ino
    // a seal of earlier writes that committed after the truncate would put back what it cuts
    if (open) await this.data.settle(open)
    await transact(this.store, 'truncate', async tx => {
      const i = await this.inode(tx, ino)
      if (isDir(i)) throw EISDIR(`inode ${ino}`)
      if (!isReg(i)) throw EINVAL(`inode ${ino} is not a regular file`)
      if (!viaHandle) check(i, ctx, W, `inode ${ino}`)
      await this.data.truncate(tx, i, size)
      i.size = size
      i.mtimeMs = i.ctimeMs = Date.now()
      this.put(tx, i)
    })
    if (open) this.data.truncated(open, size)
  }

  async access(ino: number, mask: number, ctx: Identity): Promise<void> {
    const i = await transact(this.store, 'access', tx => this.inode(tx, ino))
    if (mask !== 0) check(i, ctx, mask, `inode ${ino}`)
  }

  async readdir(ino: number, ctx: Identity = ROOT): Promise<DirEntry[]> {
    const d = await transact(this.store, 'readdir', tx => this.dir(tx, ino))
    check(d, ctx, R, `inode ${ino}`)
    const out: DirEntry[] = []
    const prefix = this.keys.entries(ino)
    let after: Buffer | undefined
    for (;;) {
      const page = await this.store.range(prefix, { limit: 1000, after })
      for (const kv of page.kvs) {
        const [child, type] = JSON.parse(kv.value.toString()) as [number, number]
        out.push({ name: kv.key.subarray(prefix.length).toString(), ino: child, type })
      }
      if (!page.more) return out
      after = page.kvs[page.kvs.length - 1].key
    }
  }

  // ---- extended attributes ----

  /** setxattr sets one attribute; XATTR_CREATE / XATTR_REPLACE as setxattr(2) */
  setxattr(ino: number, name: string, value: Buffer, flags: number, ctx: Identity): Promise<void> {
    return this.xattrs.set(ino, name, value, flags, ctx)
  }

  /** getxattr reads one attribute; ENODATA when absent */
  getxattr(ino: number, name: string): Promise<Buffer> {
    return this.xattrs.get(ino, name)
  }

  /** listxattr names every attribute of the inode */
  listxattr(ino: number): Promise<string[]> {
    return this.xattrs.list(ino)
  }

  /** removexattr removes one attribute; ENODATA when absent */
  removexattr(ino: number, name: string, ctx: Identity): Promise<void> {
    return this.xattrs.remove(ino, name, ctx)
  }

  // ---- open files and data ----

  async open(ino: number, flags: number, ctx: Identity): Promise<number> {
    return this.openAt(ino, flags, ctx, false)
  }

  /**
   * openPath opens what path names now. The inode a name led to (cached, or looked up) may lose
   * that name to another mount's rename or unlink before the open lands: then the path is
   * walked again, a few times at most.
   */
  async openPath(path: string, flags: number, ctx: Identity): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const { ino } = await this.resolve(path)
      try {
        return await this.openAt(ino, flags, ctx, true)
      } catch (err) {
        if (attempt >= LOCATE_ATTEMPTS || (err as { code?: string }).code !== 'ENOENT') throw err
      }
    }
  }

  /** openAt opens inode ino; named: it was reached by a name, so one without names left is ENOENT */
  private async openAt(ino: number, flags: number, ctx: Identity, named: boolean): Promise<number> {
    const acc = flags & O_ACCMODE
    const { file, fresh } = this.opened.reserve(ino)
    try {
      const { i, firstChunk } = await this.openInode(ino, acc, ctx, named)
      if (flags & O_TRUNC && acc !== 0 && isReg(i)) {
        await this.truncate(ino, 0, ctx)
        i.size = 0
      }
      const fh = this.opened.attach(file, fresh, i.size, flags)
      if (fresh && i.size > 0) this.data.preload(file, 0, firstChunk)
      return fh
    } catch (err) {
      this.opened.unreserve(file)
      throw err
    }
  }

  /**
   * openInode reads the inode for an open (fresh: close-to-open), with the layout of its first
   * chunk in the same round trip (most files have only one), and makes sure this session's open
   * mark is committed
   */
  private async openInode(ino: number, acc: number, ctx: Identity, named: boolean): Promise<{ i: Inode; firstChunk: Buffer | null }> {
    for (;;) {
      let marking = false
      const opened = await transact(this.store, 'open', async tx => {
        const [, firstChunk] = await tx.get(this.keys.inode(ino), this.keys.chunk(ino, 0))
        const i = await this.inode(tx, ino)
        if (named && i.nlink === 0) throw ENOENT(`inode ${ino} has no names left`)
        if (isDir(i) && acc !== 0) throw EISDIR(`inode ${ino}`)
        check(i, ctx, acc === O_WRONLY ? W : acc === O_RDWR ? R | W : R, `inode ${ino}`)
        marking = !this.marks.has(ino)
        if (marking) {
          this.marks.put(tx, ino)
          // rewriting the inode makes an unlink that read it before this open conflict and look again
          this.put(tx, i)
        }
        return { i, firstChunk }
      })
      if (marking) this.marks.committed(ino)
      // a lingering mark relied on may have been released meanwhile: then write it after all
      if (marking || this.marks.has(ino)) return opened
    }
  }

  async read(fh: number, offset: number, length: number): Promise<Buffer> {
    const h = this.opened.get(fh)
    if ((h.flags & O_ACCMODE) === O_WRONLY) throw EBADF('not open for reading')
    return this.data.read(h.file, offset, length)
  }

  /** write buffers buf at offset (O_APPEND: at the end); buf is copied before the returned promise settles */
  async write(fh: number, offset: number, buf: Buffer): Promise<number> {
    const h = this.opened.get(fh)
    if ((h.flags & O_ACCMODE) === 0) throw EBADF('not open for writing')
    const at = h.flags & O_APPEND ? h.file.size : offset
    await this.data.write(h.file, at, buf)
    return buf.length
  }

  async flush(fh: number): Promise<void> {
    await this.data.commit(this.opened.get(fh).file)
  }

  async fsync(fh: number): Promise<void> {
    await this.data.commit(this.opened.get(fh).file)
    await this.sync()
  }

  /**
   * sync makes everything committed so far durable: the blobs first, then the metadata that
   * refers to them (fsync of a directory, and the writeback timer)
   */
  async sync(): Promise<void> {
    await this.data.sync()
    await this.store.sync()
  }

  async release(fh: number): Promise<void> {
    const h = this.opened.detach(fh)
    const file = h.file
    try {
      await this.data.commit(file)
      if (h.locked) await this.locks.flock(file.ino, fh, undefined, false)
    } finally {
      this.opened.unreserve(file)
      // the open mark lingers (open-marks.ts), unless the inode has lost its last name
      if (file.handles === 0) await this.marks.closed(file.ino, file.gone)
    }
  }

  /** reap frees a nameless inode if no mount has it open any more */
  private async reap(ino: number): Promise<void> {
    await transact(this.store, 'reap', async tx => {
      if (this.opened.file(ino)) return
      const [gone, raw] = await tx.get(this.keys.gone(ino), this.keys.inode(ino))
      if (!gone) return
      if (raw && decodeInode(raw).nlink > 0) return
      if ((await tx.keys(this.keys.opens(ino))).length === 0) this.free(tx, ino)
    })
  }

  /** reapGone frees nameless inodes whose openers have all gone (their sessions ended or crashed) */
  private async reapGone(): Promise<void> {
    const goneKeys = await this.store.range(this.keys.goneAll())
    for (const kv of goneKeys.kvs) await this.reap(parseInt(kv.key.toString().slice(-12), 16))
  }

  // ---- locks ----

  /** getlk returns a lock that would block `want` (F_GETLK), or undefined */
  getlk(ino: number, want: LockRequest): Promise<Lock | undefined> {
    return this.locks.getlk(ino, want)
  }

  /** setlk takes, changes or (type undefined) releases a POSIX lock (F_SETLK, or F_SETLKW with wait) */
  setlk(ino: number, want: LockRequest & { type?: LockType }, wait: boolean): Promise<void> {
    return this.locks.setlk(ino, want, wait)
  }

  /** flock takes or (type undefined) drops a whole-file lock held by the open file fh */
  async flock(ino: number, fh: number, type: LockType | undefined, wait: boolean): Promise<void> {
    this.opened.get(fh).locked = true
    await this.locks.flock(ino, fh, type, wait)
  }

  async statfs(): Promise<StatFs> {
    const usage = await this.pools[0].usage()
    const [raw] = await transact(this.store, 'statfs', tx => tx.get(this.keys.nextInode()))
    const used = Number(raw?.toString() ?? 0)
    const bsize = 4096
    return {
      blockSize: bsize,
      blocks: Math.floor(usage.totalBytes / bsize),
      blocksFree: Math.floor(usage.freeBytes / bsize),
      blocksAvailable: Math.floor(usage.freeBytes / bsize),
      files: MAX_INO,
      filesFree: MAX_INO - used,
      nameMax: 255,
    }
  }

  /** close commits every open file, ends the session and closes the pools; idempotent */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const fh of this.opened.numbers()) await this.release(fh).catch(() => undefined)
    await this.marks.close().catch(() => undefined)
    clearInterval(this.writeback)
    await this.sync().catch((err: unknown) => log.warn({ err }, 'close: making committed changes durable failed'))
    clearInterval(this.session.timer)
    await this.store.revoke(this.session.lease).catch(() => undefined)
    for (const p of this.pools) await p.close()
  }
}

function checkFsName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new ConfigError('name', `'${name}' must be 1-64 letters, digits, '.', '_' or '-'`)
  }
}
