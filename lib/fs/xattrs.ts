// Extended attributes: one key per attribute under the inode (fs/<name>/x/<ino>/<attr>).
// Limits as Linux: names up to 255 bytes (ERANGE), values up to 64 KiB (E2BIG); the user.*
// namespace only on regular files and directories, trusted.* only for root. The inode counts its
// attributes, so that the kernel's getxattr("security.capability") before every write is
// answered from the inode cache when there are none.
import { E2BIG, EEXIST, ENODATA, ENOENT, ENOTSUP, EPERM, ERANGE } from '../errors'
import type { Groups } from './groups'
import { check, W } from './access'
import { isDir, isReg, type Inode } from './inode'
import type { InodeCache } from './inode-cache'
import type { Keys } from './schema'
import { Tx } from './tx'
import { XATTR_CREATE, XATTR_REPLACE, type Identity } from './types'

const XATTR_NAME_MAX = 255
const XATTR_SIZE_MAX = 65536

export class Xattrs {
  constructor(private readonly groups: Groups, private readonly keys: Keys, private readonly inodes: InodeCache) {}

  /** set writes one attribute and touches the inode's ctime */
  async set(ino: number, name: string, value: Buffer, flags: number, ctx: Identity): Promise<void> {
    checkName(name)
    if (value.length > XATTR_SIZE_MAX) throw E2BIG(`xattr value of ${value.length} bytes`)
    await (await this.groups.of(ino)).transact('setxattr', async tx => {
      const i = await this.inode(tx, ino)
      checkWrite(i, name, ctx)
      const [old] = await tx.get(this.keys.xattr(ino, name))
      if (flags & XATTR_CREATE && old) throw EEXIST(name)
      if (flags & XATTR_REPLACE && !old) throw ENODATA(name)
      tx.put(this.keys.xattr(ino, name), value)
      if (!old && i.xattrs !== undefined) i.xattrs++
      this.touch(tx, i)
    })
  }

  /** get reads one attribute (in one round trip; none when the cached inode has no attributes) */
  async get(ino: number, name: string): Promise<Buffer> {
    checkName(name)
    if (this.inodes.get(ino)?.xattrs === 0) throw ENODATA(name)
    const [i, v] = await new Tx((await this.groups.of(ino)).store).get(this.keys.inode(ino), this.keys.xattr(ino, name))
    if (!i) throw ENOENT(`inode ${ino}`)
    if (!v) throw ENODATA(name)
    return v
  }

  /** list names the inode's attributes */
  async list(ino: number): Promise<string[]> {
    const g = await this.groups.of(ino)
    await g.transact('listxattr', tx => this.inode(tx, ino))
    const prefix = this.keys.xattrs(ino)
    const { kvs } = await g.store.range(prefix)
    return kvs.map(kv => kv.key.subarray(prefix.length).toString())
  }

  /** remove deletes one attribute and touches the inode's ctime */
  async remove(ino: number, name: string, ctx: Identity): Promise<void> {
    checkName(name)
    await (await this.groups.of(ino)).transact('removexattr', async tx => {
      const i = await this.inode(tx, ino)
      checkWrite(i, name, ctx)
      const [old] = await tx.get(this.keys.xattr(ino, name))
      if (!old) throw ENODATA(name)
      tx.delete(this.keys.xattr(ino, name))
      if (i.xattrs !== undefined) i.xattrs--
      this.touch(tx, i)
    })
  }

  private async inode(tx: Tx, ino: number): Promise<Inode> {
    return this.inodes.read(tx, ino)
  }

  private touch(tx: Tx, i: Inode): void {
    i.ctimeMs = Date.now()
    this.inodes.put(tx, i)
  }
}

function checkName(name: string): void {
  if (name.length === 0 || Buffer.byteLength(name) > XATTR_NAME_MAX) throw ERANGE(`xattr name of ${Buffer.byteLength(name)} bytes`)
  if (!/^(user|trusted|security|system)\./.test(name)) throw ENOTSUP(`xattr namespace of ${name}`)
}

function checkWrite(i: Inode, name: string, ctx: Identity): void {
  if (name.startsWith('trusted.') && ctx.uid !== 0) throw EPERM(name)
  // user.* attributes exist only on regular files and directories, and need write permission
  if (name.startsWith('user.')) {
    if (!isReg(i) && !isDir(i)) throw EPERM(name)
    check(i, ctx, W, name)
  }
}
