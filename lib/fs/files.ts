// Open files: open (close-to-open: the inode and its first chunk's layout read afresh),
// create, reads and writes through the data path, flush, fsync and release; and the freeing
// of nameless inodes once no mount has them open any more.
import { constants } from 'node:fs'
import { EBADF, EISDIR, ENOENT, ENOTDIR } from '../errors'
import type { FileData } from '../data/file-data'
import { check, openMask } from './access'
import { atimeDue, O_NOATIME, type AtimeMode } from './atime'
import type { Attributes } from './attributes'
import type { FsContext, Records } from './context'
import type { Group } from './group'
import type { Handle } from './handles'
import { decodeInode, isDir, isReg, S_IFREG, type Inode } from './inode'
import type { Locks } from './locks'
import { fresh, type Namespace } from './namespace'
import { LOCATE_ATTEMPTS, type PathWalk } from './path-walk'
import { log } from '../log'
import { decodeExtents } from './schema'
import { fromMs, setTime } from './times'
import type { Attr, Identity } from './types'

const { O_WRONLY, O_RDWR, O_TRUNC, O_APPEND, O_EXCL, O_DIRECTORY, O_RDONLY } = constants
const O_ACCMODE = O_WRONLY | O_RDWR

export interface FilesParts {
  records: Records
  data: FileData
  namespace: Namespace
  walk: PathWalk
  attributes: Attributes
  locks: Locks
}

export class Files {
  /** when reads move atime (set by the mount: -o relatime, strictatime, noatime) */
  atime: AtimeMode = 'relatime'

  constructor(private readonly ctx: FsContext, private readonly parts: FilesParts) {}

  async create(parent: number, name: string, mode: number, flags: number, who: Identity): Promise<{ attr: Attr; fh: number }> {
    const { namespace, records, walk } = this.parts
    try {
      const i = await namespace.make(parent, name, who, (ino, now) => fresh(ino, S_IFREG | (mode & 0o7777), who, now), true)
      const { file, fresh: first } = this.ctx.opened.reserve(i.ino)
      file.path = this.ctx.names.pathOf(i.ino)
      return { attr: records.attr(i), fh: this.ctx.opened.attach(file, first, i.size, flags & ~O_TRUNC) }
    } catch (err) {
      // O_CREAT without O_EXCL opens what is already there
      if ((err as { code?: string }).code !== 'EEXIST' || flags & O_EXCL) throw err
      const existing = await walk.lookupIno(parent, name, who)
      const fh = await this.open(existing, flags, who)
      return { attr: await records.getattr(existing), fh }
    }
  }

  /** open opens inode ino; named: the caller reached it by a name, so one without names left is ENOENT */
  async open(ino: number, flags: number, who: Identity, named = false): Promise<number> {
    return this.openAt(ino, flags, who, named)
  }

  /**
   * opendir opens a directory. It is held as an open file is: an rmdir or a rename over it
   * leaves it nameless (nlink 0) until the last close anywhere, so fgetattr still answers.
   */
  async opendir(ino: number, who: Identity): Promise<number> {
    return this.openAt(ino, O_RDONLY | O_DIRECTORY, who, false)
  }

  /** fgetattr is getattr through an open handle: also of an inode that has lost every name */
  async fgetattr(fh: number): Promise<Attr> {
    return this.parts.records.getattr(this.ctx.opened.get(fh).file.ino)
  }

  /**
   * openPath opens what path names now. The inode a name led to (cached, or looked up) may lose
   * that name to another mount's rename or unlink before the open lands: then the path is
   * walked again, a few times at most.
   */
  async openPath(path: string, flags: number, who: Identity): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const { ino } = await this.parts.walk.resolve(path, who)
      try {
        return await this.openAt(ino, flags, who, true)
      } catch (err) {
        if (attempt >= LOCATE_ATTEMPTS || (err as { code?: string }).code !== 'ENOENT') throw err
      }
    }
  }

  /** openAt opens inode ino; named: it was reached by a name, so one without names left is ENOENT */
  private async openAt(ino: number, flags: number, who: Identity, named: boolean): Promise<number> {
    const acc = flags & O_ACCMODE
    const { file, fresh: first } = this.ctx.opened.reserve(ino)
    file.path = this.ctx.names.pathOf(ino) ?? file.path
    try {
      const { i, firstChunk } = await this.openInode(ino, flags, who, named)
      if (flags & O_TRUNC && acc !== 0 && isReg(i)) {
        await this.parts.attributes.truncate(ino, 0, who)
        i.size = 0
      }
      const fh = this.ctx.opened.attach(file, first, i.size, flags)
      if (this.atime !== 'noatime' && !(flags & O_NOATIME) && (flags & O_ACCMODE) !== O_WRONLY) this.ctx.opened.get(fh).readable = i
      if (first && i.size > 0) this.parts.data.preload(file, 0, decodeExtents(firstChunk))
      return fh
    } catch (err) {
      this.ctx.opened.unreserve(file)
      throw err
    }
  }

  /**
   * openInode reads the inode for an open (fresh: close-to-open), with the layout of its first
   * chunk in the same round trip (most files have only one), and makes sure this session's open
   * mark is committed
   */
  private async openInode(ino: number, flags: number, who: Identity, named: boolean): Promise<{ i: Inode; firstChunk: Buffer | null }> {
    const { keys } = this.ctx
    const g = await this.ctx.groups.of(ino)
    const marks = g.marks
    for (;;) {
      let marking = false
      const opened = await g.transact('open', async tx => {
        const [, firstChunk] = await tx.get(keys.inode(ino), keys.chunk(ino, 0))
        const i = await this.parts.records.inode(tx, ino)
        if (named && i.nlink === 0) throw ENOENT(`inode ${ino} has no names left`)
        if (isDir(i) && (flags & O_ACCMODE) !== 0) throw EISDIR(`inode ${ino}`)
        if (flags & O_DIRECTORY && !isDir(i)) throw ENOTDIR(`inode ${ino}`)
        check(i, who, openMask(flags), `inode ${ino}`)
        marking = !marks.has(ino)
        if (marking) {
          marks.put(tx, ino)
          // rewriting the inode makes an unlink that read it before this open conflict and look again
          this.parts.records.put(tx, i)
        }
        return { i, firstChunk }
      })
      if (marking) marks.committed(ino)
      // a lingering mark relied on may have been released meanwhile: then write it after all
      if (marking || marks.has(ino)) return opened
    }
  }

  async read(fh: number, offset: number, length: number): Promise<Buffer> {
    const h = this.ctx.opened.get(fh)
    if ((h.flags & O_ACCMODE) === O_WRONLY) throw EBADF('not open for reading')
    h.read = true
    return this.parts.data.read(h.file, offset, length)
  }

  /** write buffers buf at offset (O_APPEND: at the end, unless writeback of mapped pages); buf is copied before the returned promise settles */
  async write(fh: number, offset: number, buf: Buffer, writeback = false): Promise<number> {
    const h = this.ctx.opened.get(fh)
    if ((h.flags & O_ACCMODE) === 0) throw EBADF('not open for writing')
    const at = h.flags & O_APPEND && !writeback ? h.file.size : offset
    await this.parts.data.write(h.file, at, buf)
    return buf.length
  }

  /** flush commits the file; a close (every close(2) flushes) is also when reads move atime */
  async flush(fh: number): Promise<void> {
    const h = this.ctx.opened.get(fh)
    await this.parts.data.commit(h.file)
    await this.accessed(h)
  }

  async release(fh: number): Promise<void> {
    const h = this.ctx.opened.detach(fh)
    const file = h.file
    try {
      await this.parts.data.commit(file)
      if (h.locked) await this.parts.locks.flock(file.ino, fh, undefined, false)
      await this.accessed(h)
    } finally {
      this.ctx.opened.unreserve(file)
      // the open mark lingers (open-marks.ts), unless the inode has lost its last name
      if (file.handles === 0) await (await this.ctx.groups.of(file.ino)).marks.closed(file.ino, file.gone)
    }
  }

  /**
   * accessed moves the atime of an inode read through a handle being closed, if the atime mode
   * wants it: decided on the freshest record this mount holds (the open's, unless cached since),
   * then again inside the transaction. A failure is logged: it must not fail the close.
   */
  private async accessed(h: Handle): Promise<void> {
    const seen = h.readable
    if (!h.read || !seen) return
    h.read = false
    const now = Date.now()
    if (!atimeDue(this.atime, this.ctx.inodes.get(seen.ino) ?? seen, now)) return
    try {
      const moved = await (await this.ctx.groups.of(seen.ino)).transact('atime', async tx => {
        const i = await this.parts.records.inode(tx, seen.ino)
        if (!atimeDue(this.atime, i, now)) return undefined
        setTime(i, 'atime', fromMs(now))
        this.parts.records.put(tx, i)
        return i
      })
      if (moved) h.readable = moved
    } catch (err) {
      // an inode freed meanwhile (another mount's unlink) has no atime left to keep
      if ((err as { code?: string }).code !== 'ENOENT') log.warn({ err, ino: seen.ino }, 'updating atime failed')
    }
  }

  /** reap frees a nameless inode if no mount has it open any more */
  async reap(ino: number): Promise<void> {
    const { keys } = this.ctx
    await (await this.ctx.groups.of(ino)).transact('reap', async tx => {
      if (this.ctx.opened.file(ino)) return
      const [gone, raw] = await tx.get(keys.gone(ino), keys.inode(ino))
      if (!gone) return
      if (raw && decodeInode(raw).nlink > 0) return
      if ((await tx.keys(keys.opens(ino))).length === 0) this.parts.records.free(tx, ino)
    })
  }

  /** reapGone frees a group's nameless inodes whose openers have all gone (their sessions ended or crashed) */
  async reapGone(g: Group): Promise<void> {
    const { keys } = this.ctx
    const goneKeys = await g.store.range(keys.goneAll())
    for (const kv of goneKeys.kvs) {
      const parts = keys.parse('gone', kv.key)
      if (parts) await this.reap(parts.ino)
    }
  }
}
