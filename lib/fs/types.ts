// The shapes lib/fs hands to its callers (the FUSE adapter, tests). No FUSE and no engine here.
import type { Timespec } from './times'

export type { Timespec } from './times'

/** Attributes of one inode, as stat(2) reports them. */
export interface Attr {
  ino: number
  /** file type and permission bits, as st_mode */
  mode: number
  nlink: number
  uid: number
  gid: number
  size: number
  /** device number, for character and block special files */
  rdev: number
  /** the times in milliseconds (floor) */
  atimeMs: number
  mtimeMs: number
  ctimeMs: number
  /** the exact times */
  atime: Timespec
  mtime: Timespec
  ctime: Timespec
}

/** Who is asking: permission checks and the owner of new inodes. */
export interface Identity {
  uid: number
  gid: number
  /** supplementary groups */
  groups?: number[]
  /** the umask new inodes are made with (not under a default ACL, which takes its place) */
  umask?: number
}

export const ROOT: Identity = { uid: 0, gid: 0 }

/** A change of attributes; absent fields stay. 'now' takes the store's clock. */
export interface AttrChange {
  mode?: number
  uid?: number
  gid?: number
  size?: number
  atime?: Timespec | 'now'
  mtime?: Timespec | 'now'
}

export interface DirEntry {
  name: string
  ino: number
  /** file type bits (S_IFDIR, S_IFREG, ...) */
  type: number
}

export interface StatFs {
  blockSize: number
  blocks: number
  blocksFree: number
  blocksAvailable: number
  files: number
  filesFree: number
  nameMax: number
}

/** Flags for setxattr. */
export const XATTR_CREATE = 1
export const XATTR_REPLACE = 2
