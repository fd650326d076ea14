// What the two bindings share: how a mount is asked for, and the running mount they hand back.
import type { OpCounts } from './ops'

/** the FUSE bindings a mount can use: ours over libfuse 3's low-level API (default), or fuse-native over libfuse 2 */
export const BINDINGS = ['lowlevel', 'fuse-native'] as const
export type BindingName = (typeof BINDINGS)[number]
export const DEFAULT_BINDING: BindingName = 'lowlevel'

export interface ServeOptions {
  debug?: boolean
  allowOther?: boolean
  /** the kernel checks mode bits before asking (off with -o acl: lib/fs checks by the ACLs alone) */
  defaultPermissions: boolean
  /** mount flags for the kernel: ro, suid, dev, noatime */
  kernelOptions: string[]
  /** seconds the kernel trusts attributes, names, and (low-level binding only) a name's absence */
  attrTimeout: number
  entryTimeout: number
  negativeTimeout: number
  /** the kernel's writeback cache (low-level binding only) */
  writebackCache?: boolean
  /** false: fuse-native without big_writes (for measuring) */
  bigWrites?: boolean
  /** an op unanswered this long is answered ETIMEDOUT */
  timeoutMs: number
  /** the kernel's read-ahead on the mount in bytes (low-level binding, raised when root; default: tuning kernel-read-ahead) */
  readAheadBytes?: number
  /** requests reaching JavaScript, by op (filled in as they arrive) */
  counts: OpCounts
}

/** A filesystem being served on a directory by one binding. */
export interface Served {
  /** options names the mount options libfuse was given, for logs and tests */
  readonly options: string
  /** stop takes the mount away (lazily when busy; also when someone else did) and stops serving */
  stop(): Promise<void>
}
