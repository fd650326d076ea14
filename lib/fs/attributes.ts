// Attributes: chmod, chown, utimens and truncate as one setattr, with the kernel's rules on
// who may change what (and which privileges a change drops); access checks.
import { EFBIG, EINVAL, EISDIR, EPERM } from '../errors'
import { MAX_FILE_SIZE, type FileData } from '../data/file-data'
import { allowed, check, inGroup, W } from './access'
import { chmodAcl } from './acl'
import type { FsContext, Records } from './context'
import { isDir, isReg, S_IFMT, S_ISGID, S_ISUID } from './inode'
import type { MetaLayouts } from './layouts'
import { fromMs, setTime } from './times'
import type { Attr, AttrChange, Identity } from './types'

export class Attributes {
  constructor(
    private readonly ctx: FsContext,
    private readonly records: Records,
    private readonly data: FileData,
    private readonly layouts: MetaLayouts,
  ) {}

  async setattr(ino: number, change: AttrChange, who: Identity, fh?: number): Promise<Attr> {
    // writes this mount has not committed yet come first: their commit must not overwrite
    // times set after them (cp -p, tar -x)
    const open = this.ctx.opened.file(ino)
    if (open && (change.mtime !== undefined || change.atime !== undefined)) await this.data.commit(open)
    if (change.size !== undefined) await this.truncate(ino, change.size, who, fh)
    const i = await (await this.ctx.groups.of(ino)).transact('setattr', async tx => {
      const i = await this.records.inode(tx, ino)
      const owner = who.uid === 0 || who.uid === i.uid
      const now = Date.now()
      if (change.mode !== undefined) {
        // anyone who may write may drop setuid/setgid: the kernel does so when a non-owner writes
        const dropsPrivs = change.mode === (i.mode & 0o7777 & ~(S_ISUID | S_ISGID))
        if (!owner && !dropsPrivs) throw EPERM('chmod: not the owner')
        let mode = change.mode & 0o7777
        // a non-root owner outside the file's group cannot set setgid: the kernel drops it
        if (who.uid !== 0 && !inGroup(who, i.gid)) mode &= ~S_ISGID
        i.mode = (i.mode & S_IFMT) | mode
        if (i.acl) i.acl = chmodAcl(i.acl, mode)
      }
      if (change.uid !== undefined || change.gid !== undefined) {
        const uid = change.uid ?? i.uid
        const gid = change.gid ?? i.gid
        if (who.uid !== 0 && (uid !== i.uid || !owner || (gid !== i.gid && !inGroup(who, gid)))) throw EPERM('chown')
        // a change of owner drops setuid, and setgid on group-executable files, like the kernel
        if (!isDir(i) && (uid !== i.uid || gid !== i.gid)) {
          i.mode &= ~S_ISUID
          if (i.mode & 0o010) i.mode &= ~S_ISGID
        }
        i.uid = uid
        i.gid = gid
      }
      for (const field of ['atime', 'mtime'] as const) {
        const v = change[field]
        if (v === undefined) continue
        // explicit times need ownership; 'now' needs ownership or write permission
        if (!owner && (v !== 'now' || !allowed(i, who, W))) throw v === 'now' ? EPERM('utimens') : EPERM('utimens: not the owner')
        setTime(i, field, v === 'now' ? fromMs(now) : v)
      }
      i.ctimeMs = now
      this.records.put(tx, i)
      return i
    })
    return this.records.attr(i)
  }

  /** truncate cuts or extends a regular file; through an open handle (fh) it needs no write permission */
  async truncate(ino: number, size: number, who: Identity, fh?: number): Promise<void> {
    if (!Number.isInteger(size) || size < 0) throw EINVAL(`size ${size}`)
    if (size > MAX_FILE_SIZE) throw EFBIG(`size ${size} is past the largest file, ${MAX_FILE_SIZE} bytes`)
    const open = this.ctx.opened.file(ino)
    const viaHandle = fh !== undefined && this.ctx.opened.find(fh)?.file.ino === ino
    // a seal of earlier writes that committed after the truncate would put back what it cuts
    if (open) await this.data.settle(open)
    await (await this.ctx.groups.of(ino)).transact('truncate', async tx => {
      const i = await this.records.inode(tx, ino)
      if (isDir(i)) throw EISDIR(`inode ${ino}`)
      if (!isReg(i)) throw EINVAL(`inode ${ino} is not a regular file`)
      if (!viaHandle) check(i, who, W, `inode ${ino}`)
      await this.layouts.truncate(tx, i, size)
      i.size = size
      i.mtimeMs = i.ctimeMs = Date.now()
      this.records.put(tx, i)
    })
    if (open) this.data.truncated(open, size)
  }

  async access(ino: number, mask: number, who: Identity): Promise<void> {
    const i = await (await this.ctx.groups.of(ino)).transact('access', tx => this.records.inode(tx, ino))
    if (mask !== 0) check(i, who, mask, `inode ${ino}`)
  }
}
