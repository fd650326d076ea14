// Conversions from lib/fs shapes to the objects fuse-native packs into struct stat and
// struct statvfs. fuse-native carries them as arrays of 32-bit integers: st_ino, st_nlink,
// every statvfs field are 32 bits; sizes and times are 64 bits (times in milliseconds).
import { narrowIno } from './ino-map'
import type { Attr, StatFs } from '../fs/types'

const U32_MAX = 2 ** 32 - 1

/** the largest write a FUSE request carries with libfuse 2 and big_writes (its receive buffer) */
export const MAX_WRITE = 128 * 1024

export interface FuseStat {
  mode: number
  uid: number
  gid: number
  size: number
  dev: number
  nlink: number
  ino: number
  rdev: number
  blksize: number
  blocks: number
  atime: number
  mtime: number
  ctime: number
}

export interface FuseStatfs {
  bsize: number
  frsize: number
  blocks: number
  bfree: number
  bavail: number
  files: number
  ffree: number
  favail: number
  fsid: number
  flag: number
  namemax: number
}

const ms = (t: number) => Math.max(0, Math.floor(t))

/**
 * toStat: Attr -> fuse-native stat. st_ino is the inode number (mounted with use_ino), narrowed
 * to the 32 bits fuse-native carries without ever sharing one between inodes (ino-map.ts), so
 * every name of an inode reports the same st_ino.
 */
export function toStat(a: Attr): FuseStat {
  return {
    mode: a.mode,
    uid: a.uid,
    gid: a.gid,
    size: a.size,
    dev: 0,
    nlink: Math.min(a.nlink, U32_MAX),
    ino: narrowIno(a.ino),
    rdev: a.rdev,
    // the preferred I/O size: what one FUSE write request carries
    blksize: MAX_WRITE,
    blocks: Math.ceil(a.size / 512),
    atime: ms(a.atimeMs),
    mtime: ms(a.mtimeMs),
    ctime: ms(a.ctimeMs),
  }
}

/** the stat of a readdir entry: only st_ino and the type bits of st_mode matter */
export function toDirentStat(ino: number, type: number): Partial<FuseStat> {
  return { ino: narrowIno(ino), mode: type }
}

/**
 * toStatfs: StatFs -> fuse-native statvfs. Block counts are 32 bits there, so a large pool is
 * reported in larger fragments (f_frsize doubles until f_blocks fits); df multiplies them back.
 */
export function toStatfs(s: StatFs): FuseStatfs {
  let frsize = s.blockSize
  let scale = 1
  while (s.blocks / scale > U32_MAX) {
    scale *= 2
    frsize *= 2
  }
  const files = Math.min(s.files, U32_MAX)
  const ffree = Math.min(s.filesFree, U32_MAX)
  return {
    bsize: frsize,
    frsize,
    blocks: Math.floor(s.blocks / scale),
    bfree: Math.floor(s.blocksFree / scale),
    bavail: Math.floor(s.blocksAvailable / scale),
    files,
    ffree,
    favail: ffree,
    fsid: 0,
    flag: 0,
    namemax: s.nameMax,
  }
}
