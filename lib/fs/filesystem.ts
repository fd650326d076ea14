// POSIX semantics over inodes: every metadata change is one optimistic transaction on the
// MetaStore (tx.ts); file data goes through the data path (lib/data). Nothing here knows
// about FUSE or about which engine or driver is underneath: the caller (lib/client) opens the
// store and the pools and hands them in.
//
// Filesystem is the face the bindings call; the work is done by one module per concern:
//   namespace.ts   names: make, link, unlink, rmdir, rename, readdir, readlink
//   path-walk.ts   lookups, and the walk of whole paths for path-based bindings
//   attributes.ts  setattr (chmod, chown, utimens, truncate), access
//   files.ts       open, create, read, write, flush, release; freeing nameless inodes
//   groups.ts      the metadata groups (group.ts: store, session, open marks, inode counter, epoch)
//   xattrs.ts, locks.ts, open-marks.ts, session.ts, inode-alloc.ts, layouts.ts
import { ms } from '../config/tunables'
import { FileData, type DataTuning } from '../data/file-data'
import type { BlobStore } from '../data/blob-store'
import { log } from '../log'
import type { MetaStore } from '../meta/store'
import { countRead, countWritten } from '../metrics/counters'
import type { AtimeMode } from './atime'
import { Attributes } from './attributes'
import { CLOCK_XATTR, type Causality } from './causality'
import { Records, type FsContext } from './context'
import { Files } from './files'
import { exists, format, type FormatOptions } from './format'
import { Groups, type GroupOpener } from './groups'
import { Handles } from './handles'
import { GROUP_SPAN } from './ino'
import { InodeCache } from './inode-cache'
import { MetaLayouts } from './layouts'
import type { Lock, LockType } from './lock-table'
import { Locks, type LockRequest } from './locks'
import { NameCache } from './name-cache'
import { Namespace } from './namespace'
import { Partitions } from './partitions'
import { LOCATE_ATTEMPTS, PathWalk } from './path-walk'
import { Keys, type PartitionRecord, type Settings } from './schema'
import type { Session } from './session'
import { ROOT, type Attr, type AttrChange, type DirEntry, type Identity, type StatFs } from './types'
import { Xattrs } from './xattrs'

export type { FormatOptions } from './format'


export interface OpenOptions {
  /** the owner of new inodes when an operation gives none (the FUSE adapter's caller) */
  identity?: Identity
  /** how long a looked-up name is trusted before the store is asked again */
  entryTtlMs?: number
  /** seconds the session outlives its last keep-alive */
  sessionTtl?: number
  /** where this filesystem is mounted, recorded in its sessions for `meridian status` */
  mountpoint?: string
  /** what the filesystem closes after itself (the pools under its blob store) */
  owns?: Array<{ close(): Promise<void> }>
  /** opens the store of a further group from its URL; without it the filesystem reaches only its root group */
  openGroup?: GroupOpener
  /** how long a cross-group transaction may stay pending before another mount may abort it (default 10 s) */
  crossGroupTimeoutMs?: number
  /** causal reads: records carry their writer's clock, and reading one takes it in */
  causality?: Causality
  /**
   * how often what was committed is made durable without an fsync (default 5 s, as ext4's
   * commit interval): blobs are written to the pools at once but fsynced in batches
   * (docs/filesystem.md, "Durability")
   */
  writebackMs?: number
  /** what each open file buffers and reads ahead */
  data?: DataTuning
  /** a testing knob: each new directory in the next group in turn, so that operations between directories cross groups */
  spreadDirectories?: boolean
}

export class Filesystem {
  readonly name: string
  readonly identity: Identity
  private readonly writeback: NodeJS.Timeout
  private closed = false

  private constructor(
    private readonly ctx: FsContext,
    private readonly records: Records,
    private readonly blobs: BlobStore,
    private readonly data: FileData,
    private readonly walk: PathWalk,
    private readonly namespace: Namespace,
    private readonly attributes: Attributes,
    private readonly files: Files,
    private readonly xattrs: Xattrs,
    private readonly locks: Locks,
    private readonly partitions: Partitions,
    private readonly owns: Array<{ close(): Promise<void> }>,
    identity: Identity | undefined,
    writebackMs: number,
  ) {
    this.writeback = setInterval(() => {
      this.sync().catch((err: unknown) => log.warn({ err }, 'writeback: making committed changes durable failed; trying again'))
    }, writebackMs).unref()
    this.name = ctx.settings.name
    this.identity = identity ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
  }

  /** format writes the settings and the root directory of a new filesystem. */
  static format(store: MetaStore, opts: FormatOptions): Promise<void> {
    return format(store, opts)
  }

  /** exists tells whether a filesystem of this name is formatted in the store. */
  static exists(store: MetaStore, name: string): Promise<boolean> {
    return exists(store, name)
  }

  /**
   * open mounts nothing: it starts this mount's session in the root group (rootStore, where the
   * filesystem was formatted) and, as their inodes are met, in further groups; data goes to blobs
   */
  static async open(rootStore: MetaStore, settings: Settings, blobs: BlobStore, opts: OpenOptions = {}): Promise<Filesystem> {
    const keys = new Keys(settings.name)
    const inodes = new InodeCache(keys, opts.causality)
    const opened = new Handles()
    let files: Files | undefined
    const groups = await Groups.start(rootStore, keys, inodes, {
      sessionTtl: opts.sessionTtl,
      mountpoint: opts.mountpoint,
      isOpen: ino => opened.file(ino) !== undefined,
      reap: ino => files!.reap(ino),
      epochChanged: group => log.info({ group }, 'the configuration epoch moved on'),
      opened: group => files!.reapGone(group),
    }, opts.openGroup, opts.crossGroupTimeoutMs)
    const ctx: FsContext = { groups, keys, settings, inodes, names: new NameCache(opts.entryTtlMs ?? ms(undefined, 'name-cache-ttl')), opened, causality: opts.causality }
    const records = new Records(ctx)
    const layouts = new MetaLayouts(groups, keys, inodes, settings.chunkSize)
    const data = new FileData(layouts, blobs, settings, opts.data)
    const walk = new PathWalk(ctx, records)
    const namespace = new Namespace(ctx, records, walk, opts.spreadDirectories)
    const attributes = new Attributes(ctx, records, data, layouts)
    const locks = new Locks(groups, keys)
    files = new Files(ctx, { records, data, namespace, walk, attributes, locks })
    const fs = new Filesystem(
      ctx, records, blobs, data, walk, namespace, attributes, files, new Xattrs(groups, keys, inodes), locks,
      new Partitions(ctx, records, walk, namespace), opts.owns ?? [], opts.identity,
      opts.writebackMs ?? ms(undefined, 'writeback-interval'),
    )
    await files.reapGone(groups.root)
    return fs
  }

  get settings(): Settings {
    return this.ctx.settings
  }

  // ---- names ----

  /** lookup finds name in the directory parent; fresh: from the store, not from the names this mount remembers */
  async lookup(parent: number, name: string, who: Identity = ROOT, fresh = false): Promise<Attr> {
    for (let attempt = 1; ; attempt++) {
      if (fresh || attempt > 1) this.ctx.names.forget(parent, name)
      const ino = await this.walk.lookupIno(parent, name, who)
      try {
        return await this.getattr(ino)
      } catch (err) {
        // the inode the name led to vanished (another mount replaced it): read the name again
        if (attempt >= LOCATE_ATTEMPTS || (err as { code?: string }).code !== 'ENOENT') throw err
      }
    }
  }

  /** resolve walks an absolute path (no final symlink followed). */
  resolve(path: string, who: Identity = ROOT): Promise<Attr> {
    return this.walk.resolve(path, who)
  }

  /** resolveParent walks to the directory that holds the last component of path. */
  resolveParent(path: string, who: Identity = ROOT): Promise<{ parent: number; name: string }> {
    return this.walk.resolveParent(path, who)
  }

  /** parent names the directory that holds directory ino ('..'; the root is its own parent) */
  parent(ino: number): Promise<number> {
    return this.walk.parentOf(ino)
  }

  /**
   * trustAttributes lets getattr answer from inode records this mount read or wrote in the
   * last ttlMs (the mount sets it to the kernel's attribute timeout; 0, the default: never)
   */
  trustAttributes(ttlMs: number): void {
    this.ctx.inodes.trust(ttlMs)
  }

  /** updateAtime says when reads move atime: relatime (the default), strictatime or noatime */
  updateAtime(mode: AtimeMode): void {
    this.files.atime = mode
  }

  getattr(ino: number): Promise<Attr> {
    return this.records.getattr(ino)
  }

  mkdir(parent: number, name: string, mode: number, who: Identity): Promise<Attr> {
    return this.namespace.mkdir(parent, name, mode, who)
  }

  mknod(parent: number, name: string, mode: number, rdev: number, who: Identity): Promise<Attr> {
    return this.namespace.mknod(parent, name, mode, rdev, who)
  }

  symlink(parent: number, name: string, target: string, who: Identity): Promise<Attr> {
    return this.namespace.symlink(parent, name, target, who)
  }

  readlink(ino: number): Promise<string> {
    return this.namespace.readlink(ino)
  }

  link(ino: number, newParent: number, newName: string, who: Identity): Promise<Attr> {
    return this.namespace.link(ino, newParent, newName, who)
  }

  unlink(parent: number, name: string, who: Identity): Promise<void> {
    return this.namespace.unlink(parent, name, who)
  }

  rmdir(parent: number, name: string, who: Identity): Promise<void> {
    return this.namespace.rmdir(parent, name, who)
  }

  rename(parent: number, name: string, newParent: number, newName: string, who: Identity): Promise<void> {
    return this.namespace.rename(parent, name, newParent, newName, who)
  }

  readdir(ino: number, who: Identity = ROOT): Promise<DirEntry[]> {
    return this.namespace.readdir(ino, who)
  }

  // ---- attributes ----

  setattr(ino: number, change: AttrChange, who: Identity, fh?: number): Promise<Attr> {
    return this.attributes.setattr(ino, change, who, fh)
  }

  access(ino: number, mask: number, who: Identity): Promise<void> {
    return this.attributes.access(ino, mask, who)
  }

  // ---- extended attributes ----

  /**
   * setxattr sets one attribute; XATTR_CREATE / XATTR_REPLACE as setxattr(2). meridian.clock,
   * on any inode, takes a clock token from another mount and waits until this one has caught up
   */
  async setxattr(ino: number, name: string, value: Buffer, flags: number, who: Identity): Promise<void> {
    if (name === CLOCK_XATTR && this.ctx.causality) {
      await this.getattr(ino)
      await this.ctx.causality.catchUp(value.toString())
      return
    }
    return this.xattrs.set(ino, name, value, flags, who)
  }

  /**
   * getxattr reads one attribute; ENODATA when absent (user.* needs read permission).
   * meridian.clock reads as this mount's clock token
   */
  async getxattr(ino: number, name: string, who: Identity = ROOT): Promise<Buffer> {
    if (name === CLOCK_XATTR && this.ctx.causality) {
      await this.getattr(ino)
      return Buffer.from(this.ctx.causality.token())
    }
    return this.xattrs.get(ino, name, who)
  }

  /** listxattr names every attribute of the inode */
  listxattr(ino: number): Promise<string[]> {
    return this.xattrs.list(ino)
  }

  /** removexattr removes one attribute; ENODATA when absent */
  removexattr(ino: number, name: string, who: Identity): Promise<void> {
    return this.xattrs.remove(ino, name, who)
  }

  // ---- open files and data ----

  create(parent: number, name: string, mode: number, flags: number, who: Identity): Promise<{ attr: Attr; fh: number }> {
    return this.files.create(parent, name, mode, flags, who)
  }

  /** open opens inode ino; named: the caller reached it by a name, so one without names left is ENOENT */
  open(ino: number, flags: number, who: Identity, named = false): Promise<number> {
    return this.files.open(ino, flags, who, named)
  }

  /** openPath opens what path names now, walking again if its inode loses that name meanwhile */
  openPath(path: string, flags: number, who: Identity): Promise<number> {
    return this.files.openPath(path, flags, who)
  }

  /** opendir opens a directory: while open it keeps its attributes (nlink 0) after rmdir or a rename over it */
  opendir(ino: number, who: Identity): Promise<number> {
    return this.files.opendir(ino, who)
  }

  releasedir(fh: number): Promise<void> {
    return this.files.release(fh)
  }

  /** fgetattr is getattr through an open handle (file or directory), also once it has no names */
  fgetattr(fh: number): Promise<Attr> {
    return this.files.fgetattr(fh)
  }

  async read(fh: number, offset: number, length: number): Promise<Buffer> {
    const data = await this.files.read(fh, offset, length)
    countRead(data.length)
    return data
  }

  /**
   * write buffers buf at offset (O_APPEND: at the end, unless it is the write-back of cached
   * pages, which go where they were mapped); buf is copied before the returned promise settles
   */
  async write(fh: number, offset: number, buf: Buffer, opts: { writeback?: boolean } = {}): Promise<number> {
    const n = await this.files.write(fh, offset, buf, opts.writeback ?? false)
    countWritten(n)
    return n
  }

  flush(fh: number): Promise<void> {
    return this.files.flush(fh)
  }

  async fsync(fh: number): Promise<void> {
    await this.files.flush(fh)
    await this.sync()
  }

  /**
   * sync makes everything committed so far durable: the blobs first, then the metadata that
   * refers to them (fsync of a directory, and the writeback timer)
   */
  async sync(): Promise<void> {
    await this.data.sync()
    await this.ctx.groups.sync()
  }

  release(fh: number): Promise<void> {
    return this.files.release(fh)
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
    this.ctx.opened.get(fh).locked = true
    await this.locks.flock(ino, fh, type, wait)
  }

  async statfs(): Promise<StatFs> {
    const usage = await this.blobs.usage()
    const used = await this.ctx.groups.root.inos.used()
    const bsize = 4096
    return {
      blockSize: bsize,
      blocks: Math.floor(usage.totalBytes / bsize),
      blocksFree: Math.floor(usage.freeBytes / bsize),
      blocksAvailable: Math.floor(usage.freeBytes / bsize),
      files: GROUP_SPAN,
      filesFree: GROUP_SPAN - used,
      nameMax: 255,
    }
  }

  // ---- partitions ----

  /** addPartition makes path (absent, or an empty directory) the top of a partition living in group */
  addPartition(path: string, group: string): Promise<PartitionRecord> {
    return this.partitions.add(path, group)
  }

  /** removePartition ends the (empty) partition at path */
  removePartition(path: string): Promise<void> {
    return this.partitions.remove(path)
  }

  /** session is this mount's session in the root group (its sid changes if a lost lease is replaced) */
  get session(): Session {
    return this.ctx.groups.root.session
  }

  /** close commits every open file, ends the session and closes what it owns; idempotent */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const fh of this.ctx.opened.numbers()) await this.release(fh).catch(() => undefined)
    clearInterval(this.writeback)
    await this.sync().catch((err: unknown) => log.warn({ err }, 'close: making committed changes durable failed'))
    await this.ctx.groups.close()
    await this.blobs.close()
    for (const owned of this.owns) await owned.close()
  }
}
