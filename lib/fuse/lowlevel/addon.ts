// The compiled binding (binding.cc, built by build.sh at install) and its JavaScript face.
// Requests arrive in batches of events [op, id, ino, uid, gid, pid, ...args]; each request is
// answered once, by id, with the reply function its op calls for.
import { join } from 'node:path'

/** an opaque libfuse session (a mounted connection) */
export type Session = { readonly __session: unique symbol }

/** [ino, mode, nlink, uid, gid, size, rdev, atimeMs, mtimeMs, ctimeMs, blksize] */
export type AttrArray = number[]

/** [op, id, ino, uid, gid, pid, ...op-specific arguments] */
export type RequestEvent = [string, number, number, number, number, number, ...unknown[]]

/** one directory entry to pack: name, the offset of the next entry, its attributes, whether the kernel takes a lookup reference */
export type DirEntryArray = [string, number, AttrArray, boolean]

export interface Addon {
  /**
   * mount: args as libfuse's argv after the program name; onBatch gets every queued event at
   * once; writebackCache asks the kernel for its writeback cache
   */
  mount(dir: string, args: string[], timeoutMs: number, onBatch: (events: RequestEvent[]) => void, writebackCache: boolean): Session
  /** pending counts requests not answered yet */
  pending(s: Session): number
  replyErr(s: Session, id: number, errno: number): void
  replyEntry(s: Session, id: number, attr: AttrArray, entryTimeout: number, attrTimeout: number): void
  replyCreate(s: Session, id: number, attr: AttrArray, entryTimeout: number, attrTimeout: number, fh: number): void
  replyAttr(s: Session, id: number, attr: AttrArray, attrTimeout: number): void
  replyReadlink(s: Session, id: number, target: string): void
  /** replyOpen: keepCache keeps the kernel's cached pages of the file (FOPEN_KEEP_CACHE) */
  replyOpen(s: Session, id: number, fh: number, keepCache: boolean): void
  replyWrite(s: Session, id: number, count: number): void
  replyBuf(s: Session, id: number, data: Buffer): void
  replyXattrSize(s: Session, id: number, size: number): void
  /** [bsize, frsize, blocks, bfree, bavail, files, ffree, namemax] */
  replyStatfs(s: Session, id: number, fields: number[]): void
  replyLock(s: Session, id: number, type: number, start: number, len: number, pid: number): void
  /** replyDir packs entries into one reply of at most size bytes; returns how many fit */
  replyDir(s: Session, id: number, size: number, plus: boolean, entries: DirEntryArray[], entryTimeout: number, attrTimeout: number): number
}

// this file runs as dist/lib/fuse/lowlevel/addon.js; the build stays next to binding.cc
const ADDON = join(__dirname, '../../../../lib/fuse/lowlevel/build/Release/meridian_fuse.node')

let loaded: Addon | undefined

/** addon loads the binding once; a missing build names the command that makes it */
export function addon(): Addon {
  if (!loaded) {
    try {
      loaded = require(ADDON) as Addon
    } catch (err) {
      throw new Error(`the libfuse 3 binding is not built (${ADDON}): run npm install or sh lib/fuse/lowlevel/build.sh`, { cause: err })
    }
  }
  return loaded
}
