// The inode record stored under fs/<name>/i/<ino>, and its conversion to stat attributes.
import { constants } from 'node:fs'
import type { AclEntry } from './acl'
import { timeOf } from './times'
import type { Attr } from './types'

export const S_IFMT = constants.S_IFMT
export const S_IFDIR = constants.S_IFDIR
export const S_IFREG = constants.S_IFREG
export const S_IFLNK = constants.S_IFLNK
export const S_IFIFO = constants.S_IFIFO
export const S_IFCHR = constants.S_IFCHR
export const S_IFBLK = constants.S_IFBLK
export const S_IFSOCK = constants.S_IFSOCK
export const S_ISUID = 0o4000
export const S_ISGID = 0o2000
export const S_ISVTX = 0o1000

export interface Inode {
  ino: number
  /** type and permission bits */
  mode: number
  uid: number
  gid: number
  nlink: number
  size: number
  rdev: number
  /** times in whole milliseconds; with the exact [seconds, nanoseconds] when set finer (times.ts) */
  atimeMs: number
  mtimeMs: number
  ctimeMs: number
  atime?: [number, number]
  mtime?: [number, number]
  ctime?: [number, number]
  /** directories: parent inode (for the rename-into-own-subtree check) and entry count */
  parent?: number
  entries?: number
  /** symlinks: the target */
  target?: string
  /** the top directory of a partition: the group it lives in (it cannot be moved or removed by POSIX calls) */
  partition?: string
  /** the clock of its last writer (causal reads: lib/fs/causality.ts), when the mount reads causally */
  deps?: string
  /** POSIX ACLs (acl.ts): the access ACL when it says more than the mode; a directory's default ACL */
  acl?: AclEntry[]
  defaultAcl?: AclEntry[]
  /** how many extended attributes it has; absent on inodes made before it was counted (then unknown) */
  xattrs?: number
}

export const isDir = (i: Inode) => (i.mode & S_IFMT) === S_IFDIR
export const isReg = (i: Inode) => (i.mode & S_IFMT) === S_IFREG
export const isLink = (i: Inode) => (i.mode & S_IFMT) === S_IFLNK

export function encodeInode(i: Inode): Buffer {
  return Buffer.from(JSON.stringify(i))
}

export function decodeInode(b: Buffer): Inode {
  return JSON.parse(b.toString()) as Inode
}

export function toAttr(i: Inode): Attr {
  return {
    ino: i.ino, mode: i.mode, nlink: i.nlink, uid: i.uid, gid: i.gid, size: i.size, rdev: i.rdev,
    atimeMs: i.atimeMs, mtimeMs: i.mtimeMs, ctimeMs: i.ctimeMs,
    atime: timeOf(i, 'atime'), mtime: timeOf(i, 'mtime'), ctime: timeOf(i, 'ctime'),
  }
}
