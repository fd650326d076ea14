// Extended attributes: one key per attribute under the inode (fs/<name>/x/<ino>/<attr>).
// Limits as Linux: names up to 255 bytes (ERANGE), values up to 64 KiB (E2BIG); the user.*
// namespace only on regular files and directories, trusted.* only for root. The inode counts its
// attributes, so that the kernel's getxattr("security.capability") before every write is
// answered from the inode cache when there are none. The POSIX ACL names are not keys of their
// own: they read and write the ACLs in the inode record (acl.ts).
import { E2BIG, EACCES, EEXIST, ENODATA, ENOENT, ENOTSUP, EPERM, ERANGE } from '../errors'
import { check, R, W } from './access'
import { ACL_ACCESS, ACL_DEFAULT, decodeAcl, encodeAcl, setAccessAcl } from './acl'
import type { Groups } from './groups'
import { decodeInode, isDir, isReg, type Inode } from './inode'
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
    if (isAcl(name)) return this.setAcl(ino, name, value, ctx)
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
  async get(ino: number, name: string, ctx: Identity): Promise<Buffer> {
    checkName(name)
    const cached = this.inodes.get(ino)
    if (cached) checkRead(cached, name, ctx)
    if (isAcl(name)) {
      const acl = aclOf(this.inodes.get(ino) ?? (await (await this.groups.of(ino)).transact('getxattr', tx => this.inode(tx, ino))), name)
      if (!acl) throw ENODATA(name)
      return encodeAcl(acl)
    }
    if (this.inodes.get(ino)?.xattrs === 0) throw ENODATA(name)
    const [i, v] = await new Tx((await this.groups.of(ino)).store).get(this.keys.inode(ino), this.keys.xattr(ino, name))
    if (!i) throw ENOENT(`inode ${ino}`)
    checkRead(decodeInode(i), name, ctx)
    if (!v) throw ENODATA(name)
    return v
  }

  /** list names the inode's attributes */
  async list(ino: number): Promise<string[]> {
    const g = await this.groups.of(ino)
    const i = await g.transact('listxattr', tx => this.inode(tx, ino))
    const prefix = this.keys.xattrs(ino)
    const { kvs } = await g.store.range(prefix)
    const acls = [ACL_ACCESS, ACL_DEFAULT].filter(name => aclOf(i, name))
    return [...kvs.map(kv => kv.key.subarray(prefix.length).toString()), ...acls]
  }

  /** remove deletes one attribute and touches the inode's ctime */
  async remove(ino: number, name: string, ctx: Identity): Promise<void> {
    checkName(name)
    if (isAcl(name)) return this.setAcl(ino, name, null, ctx)
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

  /**
   * setAcl sets (value) or removes (null; an empty ACL too) one of the inode's ACLs: only its
   * owner or root may; an access ACL rewrites the mode, a default ACL exists only on directories
   */
  private async setAcl(ino: number, name: string, value: Buffer | null, ctx: Identity): Promise<void> {
    const acl = value === null ? [] : decodeAcl(value)
    await (await this.groups.of(ino)).transact('setxattr', async tx => {
      const i = await this.inode(tx, ino)
      if (ctx.uid !== 0 && ctx.uid !== i.uid) throw EPERM(`${name}: not the owner`)
      if (value === null && !aclOf(i, name)) throw ENODATA(name)
      if (name === ACL_DEFAULT) {
        if (!isDir(i)) { if (acl.length > 0) throw EACCES(`${name} on a non-directory`) }
        if (acl.length > 0) i.defaultAcl = acl
        else delete i.defaultAcl
      } else if (acl.length > 0) {
        const set = setAccessAcl(acl, i.mode, i.gid, ctx)
        i.mode = set.mode
        if (set.acl) i.acl = set.acl
        else delete i.acl
      } else delete i.acl
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

const isAcl = (name: string) => name === ACL_ACCESS || name === ACL_DEFAULT

const aclOf = (i: Inode, name: string) => (name === ACL_ACCESS ? i.acl : i.defaultAcl)

function checkName(name: string): void {
  if (name.length === 0 || Buffer.byteLength(name) > XATTR_NAME_MAX) throw ERANGE(`xattr name of ${Buffer.byteLength(name)} bytes`)
  if (!/^(user|trusted|security|system)\./.test(name)) throw ENOTSUP(`xattr namespace of ${name}`)
}

/** user.* attributes need read permission to be read (the kernel checks first, unless mounted -o acl) */
function checkRead(i: Inode, name: string, ctx: Identity): void {
  if (name.startsWith('user.')) check(i, ctx, R, name)
}

function checkWrite(i: Inode, name: string, ctx: Identity): void {
  if (name.startsWith('trusted.') && ctx.uid !== 0) throw EPERM(name)
  // user.* attributes exist only on regular files and directories, and need write permission
  if (name.startsWith('user.')) {
    if (!isReg(i) && !isDir(i)) throw EPERM(name)
    check(i, ctx, W, name)
  }
}
