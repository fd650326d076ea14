// Conversions from lib/fs shapes to the objects fuse-native packs into struct stat and
// struct statvfs. fuse-native carries them as arrays of 32-bit integers: st_ino, st_nlink,
// every statvfs field are 32 bits; sizes are 64 bits; each time is, with our patch, three
// ints: seconds as a signed 64-bit number, low word first, then nanoseconds (statArray).
import type { Attr, StatFs, Timespec } from '../fs/types'
import { narrowIno } from './ino-map'

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
  atime: Timespec
  mtime: Timespec
  ctime: Timespec
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
    atime: a.atime,
    mtime: a.mtime,
    ctime: a.ctime,
  }
}

/** the ints of struct stat as our patch of fuse-native's populate_stat() reads them */
export function statArray(s: Partial<FuseStat>): Uint32Array {
  const ints = new Uint32Array(21)
  ints[0] = s.mode ?? 0
  ints[1] = s.uid ?? 0
  ints[2] = s.gid ?? 0
  setUint64(ints, 3, s.size ?? 0)
  ints[5] = s.dev ?? 0
  ints[6] = s.nlink ?? 1
  ints[7] = s.ino ?? 0
  ints[8] = s.rdev ?? 0
  ints[9] = s.blksize ?? 0
  setUint64(ints, 10, s.blocks ?? 0)
  setTimespec(ints, 12, s.atime)
  setTimespec(ints, 15, s.mtime)
  setTimespec(ints, 18, s.ctime)
  return ints
}

function setUint64(ints: Uint32Array, at: number, n: number): void {
  ints[at] = n % 2 ** 32
  ints[at + 1] = Math.floor(n / 2 ** 32)
}

/** seconds in two's complement across two ints (the high one signed), then nanoseconds */
function setTimespec(ints: Uint32Array, at: number, t: Timespec = { sec: 0, nsec: 0 }): void {
  const high = Math.floor(t.sec / 2 ** 32)
  ints[at] = t.sec - high * 2 ** 32
  ints[at + 1] = high >>> 0
  ints[at + 2] = t.nsec
}

/** what utimens is asked to do with one time: set it, set it to now, or leave it */
export type TimeArg = Timespec | 'now' | undefined

const UTIME_NOW = 2 ** 30 - 1
const UTIME_OMIT = 2 ** 30 - 2

/** timeArg reads one time of utimens as our patch passes it: the seconds' two ints and tv_nsec */
export function timeArg(low: number, high: number, nsec: number): TimeArg {
  if (nsec === UTIME_NOW) return 'now'
  if (nsec === UTIME_OMIT) return undefined
  return { sec: (high | 0) * 2 ** 32 + low, nsec }
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
