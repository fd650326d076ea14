// Types for the parts of fuse-native (which ships none) that lib/fuse uses.
declare module 'fuse-native' {
  /** the callback of every op: a status (0, -errno, or a byte count for read/write) and values */
  type Reply = (status: number, ...values: unknown[]) => void
  /** the native signal an internal _op_* handler answers through */
  type Signal = (status: number, ...values: unknown[]) => void

  interface FuseOptions {
    debug?: boolean
    defaultPermissions?: boolean
    allowOther?: boolean
    fsname?: string
    subtype?: string
    mkdir?: boolean
    force?: boolean
    /** per-op time-out in ms (false: none); an op that takes longer is answered -ETIMEDOUT */
    timeout?: number | false | Record<string, number | false>
  }

  class Fuse {
    constructor(mnt: string, ops: Record<string, (...args: any[]) => void>, opts?: FuseOptions)
    readonly mnt: string
    readonly opts: FuseOptions
    readonly ops: Record<string, (...args: any[]) => void>
    /** the native thread state, handed to fuse_native_unmount */
    protected _thread: Buffer | null
    mount(cb: (err: Error | null) => void): void
    unmount(cb: (err: Error | null) => void): void
    /** builds the single '-o...' argument handed to fuse_mount and fuse_new */
    protected _fuseOptions(): string
    protected _close(cb: (err: Error | null) => void): void
    protected _op_getattr(signal: Signal, path: string): void
    protected _op_fgetattr(signal: Signal, path: string, fh: number): void
    protected _op_readdir(signal: Signal, path: string): void
    protected _op_write(signal: Signal, path: string, fh: number, buf: Buffer, len: number, ...rest: [number, number, boolean]): void
    protected _op_utimens(signal: Signal, path: string, ...times: number[]): void
    protected _op_getxattr(signal: Signal, path: string, name: string, valueBuf: Buffer, position: number): void
    protected _op_listxattr(signal: Signal, path: string, listBuf: Buffer): void
    static unmount(mnt: string, cb: (err: Error | null) => void): void
  }

  namespace Fuse {
    export type { FuseOptions, Reply, Signal }
  }

  export = Fuse
}
