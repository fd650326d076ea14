// Extended attributes: one key per attribute under the inode (fs/<name>/x/<ino>/<attr>).
// Limits as Linux: names up to 255 bytes (ERANGE), values up to 64 KiB (E2BIG); the user.*
// namespace only on regular files and directories, trusted.* only for root.
import { E2BIG, EEXIST, ENODATA, ENOENT, ENOTSUP, EPERM, ERANGE } from '../errors'
import type { MetaStore } from '../meta/store'
import { check, W } from './access'
import { decodeInode, encodeInode, isDir, isReg, type Inode } from './inode'
import type { Keys } from './schema'
import { transact, type Tx } from './tx'
import { XATTR_CREATE, XATTR_REPLACE, type Identity } from './types'

const XATTR_NAME_MAX = 255
const XATTR_SIZE_MAX = 65536

export class Xattrs {
  constructor(private readonly store: MetaStore, private readonly keys: Keys) {}

  /** set writes one attribute and touches the inode's ctime */
  async set(ino: number, name: string, value: Buffer, flags: number, ctx: Identity): Promise<void> {
    checkName(name)
    if (value.length > XATTR_SIZE_MAX) throw E2BIG(`xattr value of ${value.length} bytes`)
    await transact(this.store, 'setxattr', async tx => {
      const i = await this.inode(tx, ino)
      checkWrite(i, name, ctx)
      const [old] = await tx.get(this.keys.xattr(ino, name))
      if (flags & XATTR_CREATE && old) throw EEXIST(name)
      if (flags & XATTR_REPLACE && !old) throw ENODATA(name)
      tx.put(this.keys.xattr(ino, name), value)
      this.touch(tx, i)
    })
  }

  /** get reads one attribute */
  async get(ino: number, name: string): Promise<Buffer> {
    checkName(name)
    return transact(this.store, 'getxattr', async tx => {
      await this.inode(tx, ino)
      const [v] = await tx.get(this.keys.xattr(ino, name))
      if (!v) throw ENODATA(name)
      return v
    })
  }

  /** list names the inode's attributes */
  async list(ino: number): Promise<string[]> {
    await transact(this.store, 'listxattr', tx => this.inode(tx, ino))
    const prefix = this.keys.xattrs(ino)
    const { kvs } = await this.store.range(prefix)
    return kvs.map(kv => kv.key.subarray(prefix.length).toString())
  }

  /** remove deletes one attribute and touches the inode's ctime */
  async remove(ino: number, name: string, ctx: Identity): Promise<void> {
    checkName(name)
    await transact(this.store, 'removexattr', async tx => {
      const i = await this.inode(tx, ino)
      checkWrite(i, name, ctx)
      const [old] = await tx.get(this.keys.xattr(ino, name))
      if (!old) throw ENODATA(name)
      tx.delete(this.keys.xattr(ino, name))
      this.touch(tx, i)
    })
  }

  private async inode(tx: Tx, ino: number): Promise<Inode> {
    const [raw] = await tx.get(this.keys.inode(ino))
    if (!raw) throw ENOENT(`inode ${ino}`)
    return decodeInode(raw)
  }

  private touch(tx: Tx, i: Inode): void {
    i.ctimeMs = Date.now()
    tx.put(this.keys.inode(i.ino), encodeInode(i))
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
