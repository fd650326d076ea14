// MeridianFuse: fuse-native's Fuse with the mount options and fixes Meridian needs.
//
// fuse-native builds the single `-o` argument it hands to libfuse 2 in
// Fuse.prototype._fuseOptions(), and exposes no way to add options it does not know. We
// override that one method and append:
//   big_writes          libfuse 2 otherwise sends writes in 4 KiB requests (one JS round trip each)
//   max_write=N         the write size we ask for; libfuse 2 caps it at its 128 KiB receive buffer
//   use_ino             pass our st_ino through; path-based libfuse otherwise invents inode numbers
//   attr_timeout, entry_timeout   set here because fuse-native drops a value of 0
// docs/fuse.md has the measurements.
//
// More overrides fix fuse-native behaviour:
//   _op_getattr, _op_fgetattr, _op_readdir, _op_utimens   times travel as seconds and
//                 nanoseconds (our patch, stat.ts) instead of fuse-native's unsigned
//                 milliseconds; fgetattr reaches our op with its file handle
//                 (fuse-native's calls getattr by path)
//   _op_write     passes on whether the write is the kernel's write-back of cached (mmap'd)
//                 pages, which goes at its offset even on an O_APPEND handle
//   _close        fuse-native unmounts with `fusermount -uz` and fails (keeping the process
//                 alive) when the mount is already gone; we unmount with `fusermount -u`, fall
//                 back to -uz when busy, and accept a mount someone else took away.
//   _op_getxattr, _op_listxattr   fuse-native copies a value into the caller's buffer without
//                 checking its size and answers the full length; libfuse then replies with more
//                 bytes than it allocated. We answer ERANGE when the value does not fit.
import { createRequire } from 'node:module'
import { constants } from 'node:os'
import { dirname } from 'node:path'
import Fuse from 'fuse-native'
import { callerOf } from './caller'
import { unmountDir } from './mounts'
import { statArray, timeArg, type FuseStat } from './stat'

/** what we ask libfuse for; it silently caps this at MAX_WRITE (128 KiB) */
export const REQUESTED_MAX_WRITE = 1024 * 1024

interface NativeBinding {
  fuse_native_unmount(mnt: string, thread: Buffer | null): void
  fuse_native_caller?(): [number, number, number, number?]
}

// The very binding fuse-native loaded: node-gyp-build resolves the same addon file, and Node
// returns the already loaded module for it.
const fuseRequire = createRequire(require.resolve('fuse-native'))
const binding = (fuseRequire('node-gyp-build') as (dir: string) => NativeBinding)(
  dirname(require.resolve('fuse-native')),
)

/** caller tells who made the request being handled (see caller.ts) */
export const caller = callerOf(binding)

const ENODATA = -constants.errno.ENODATA
const ERANGE = -constants.errno.ERANGE

export interface MeridianFuseOptions extends Fuse.FuseOptions {
  /** seconds the kernel trusts attributes */
  attrTimeout: number
  /** seconds the kernel trusts a looked-up name */
  entryTimeout: number
  /** false: mount without big_writes/max_write (for measuring what they buy) */
  bigWrites?: boolean
  /** mount flags for the kernel that fuse-native does not know (ro, suid, dev, noatime) */
  kernelOptions?: string[]
}

export class MeridianFuse extends Fuse {
  private readonly meridian: MeridianFuseOptions

  constructor(mnt: string, ops: Record<string, (...args: any[]) => void>, opts: MeridianFuseOptions) {
    // the cache timeouts go into our part of the options only (fuse-native would add them again)
    const { attrTimeout: _a, entryTimeout: _e, bigWrites: _b, kernelOptions: _k, ...base } = opts
    super(mnt, ops, base)
    this.meridian = opts
  }

  /** the mount options fuse-native would pass, plus ours */
  protected override _fuseOptions(): string {
    const base = super._fuseOptions()
    const ours = [
      'use_ino',
      `attr_timeout=${this.meridian.attrTimeout}`,
      `entry_timeout=${this.meridian.entryTimeout}`,
    ]
    if (this.meridian.bigWrites !== false) ours.unshift('big_writes', `max_write=${REQUESTED_MAX_WRITE}`)
    ours.push(...(this.meridian.kernelOptions ?? []))
    return (base ? `${base},` : '-o') + ours.join(',')
  }

  /** the -o argument, for logs and tests */
  mountOptions(): string {
    return this._fuseOptions()
  }

  protected override _close(cb: (err: Error | null) => void): void {
    unmountDir(this.mnt, { lazy: true }).then(
      () => {
        try {
          binding.fuse_native_unmount(this.mnt, this._thread)
        } catch (err) {
          return cb(err as Error)
        }
        cb(null)
      },
      (err: Error) => cb(err),
    )
  }

  protected override _op_getattr(signal: Fuse.Signal, path: string): void {
    this.ops.getattr(path, (err: number, stat?: FuseStat) => signal(err, statArray(stat ?? {})))
  }

  protected override _op_fgetattr(signal: Fuse.Signal, path: string, fh: number): void {
    this.ops.fgetattr(path, fh, (err: number, stat?: FuseStat) => signal(err, statArray(stat ?? {})))
  }

  protected override _op_readdir(signal: Fuse.Signal, path: string): void {
    this.ops.readdir(path, (err: number, names?: string[], stats?: Array<Partial<FuseStat>>) => {
      if (err) return signal(err)
      return signal(0, names ?? [], (stats ?? []).map(statArray))
    })
  }

  protected override _op_write(
    signal: Fuse.Signal, path: string, fh: number, buf: Buffer, len: number, low: number, high: number, writeback: boolean,
  ): void {
    this.ops.write(path, fh, buf, len, high * 2 ** 32 + low, writeback, (res: number, written?: number) => signal(res, written ?? 0, buf.buffer))
  }

  protected override _op_utimens(
    signal: Fuse.Signal, path: string, aLow: number, aHigh: number, aNsec: number, mLow: number, mHigh: number, mNsec: number,
  ): void {
    this.ops.utimens(path, timeArg(aLow, aHigh, aNsec), timeArg(mLow, mHigh, mNsec), (err: number) => signal(err))
  }

  protected override _op_getxattr(signal: Fuse.Signal, path: string, name: string, valueBuf: Buffer, position: number): void {
    this.ops.getxattr(path, name, position, (err: number, value?: Buffer) => {
      if (err) return signal(err, valueBuf.buffer)
      if (!value) return signal(ENODATA, valueBuf.buffer)
      // size 0 asks for the length only
      if (valueBuf.length === 0) return signal(value.length, valueBuf.buffer)
      if (value.length > valueBuf.length) return signal(ERANGE, valueBuf.buffer)
      value.copy(valueBuf)
      return signal(value.length, valueBuf.buffer)
    })
  }

  protected override _op_listxattr(signal: Fuse.Signal, path: string, listBuf: Buffer): void {
    this.ops.listxattr(path, (err: number, list?: string[]) => {
      if (err || !list) return signal(err || 0, listBuf.buffer)
      const packed = Buffer.concat(list.map(name => Buffer.from(`${name}\0`)))
      if (listBuf.length === 0) return signal(packed.length, listBuf.buffer)
      if (packed.length > listBuf.length) return signal(ERANGE, listBuf.buffer)
      packed.copy(listBuf)
      return signal(packed.length, listBuf.buffer)
    })
  }
}
