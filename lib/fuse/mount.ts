// Mount: one Filesystem served through FUSE on one directory, in this process.
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ms } from '../config/tunables'
import { ConfigError } from '../errors'
import type { AtimeMode } from '../fs/atime'
import type { Filesystem } from '../fs/filesystem'
import { log } from '../log'
import { fuseMounts, isMounted, recoverStale } from './mounts'
import type { OpCounts } from './ops'
import { DEFAULT_BINDING, type BindingName, type Served } from './served'
import { serveFuseNative } from './serve-fuse-native'
import { serveLowlevel } from './serve-lowlevel'

export interface MountOptions {
  /** which FUSE binding serves the mount: 'lowlevel' (default) or 'fuse-native' */
  binding?: BindingName
  /** libfuse's debug output on stderr */
  debug?: boolean
  /** seconds the kernel caches attributes (default 1: close-to-open between mounts) */
  attrTimeout?: number
  /** seconds the kernel caches a looked-up name (default 1) */
  entryTimeout?: number
  /**
   * seconds the kernel caches a name's absence (low-level binding; default 0, so that a name
   * another mount creates is found at once)
   */
  negativeTimeout?: number
  /** false mounts without big_writes (4 KiB write requests); only for measuring */
  bigWrites?: boolean
  /** let other users in (allow_other); what they create belongs to them (every op acts as its caller) */
  allowOther?: boolean
  /** when reads move atime (default relatime, as Linux mounts) */
  atime?: AtimeMode
  /** mount read-only (the kernel refuses every change with EROFS) */
  readOnly?: boolean
  /**
   * acl: lib/fs alone checks permissions, by POSIX ACLs too. Needed through fuse-native only:
   * there the kernel checks the mode bits first (default_permissions), which refuses what an ACL
   * entry grants beyond them (libfuse 2 cannot ask the kernel to check ACLs, FUSE_POSIX_ACL); the
   * low-level binding asks for it, and the kernel checks ACLs itself in every mount
   */
  acl?: boolean
  /**
   * writebackCache: the kernel merges small writes in its page cache and writes them back
   * later (before close(2) returns, so close-to-open holds); low-level binding only, off by default
   */
  writebackCache?: boolean
  /** honour setuid/setgid bits and device files (FUSE mounts are nosuid,nodev otherwise); root only */
  suid?: boolean
  dev?: boolean
  /** false: programs on the mount may not be executed (noexec) */
  exec?: boolean
  /** a request unanswered this long is answered ETIMEDOUT (default OP_TIMEOUT_MS) */
  opTimeoutMs?: number
  /** the kernel's read-ahead on the mount, in bytes (low-level binding, root only; default: tuning kernel-read-ahead) */
  readAheadBytes?: number
}

export const DEFAULT_CACHE_TIMEOUT_S = 1

/** a read-only mount writes nothing, atimes neither */
function atimeMode(opts: MountOptions, readOnly: boolean): AtimeMode {
  return readOnly ? 'noatime' : (opts.atime ?? 'relatime')
}

/**
 * the mount flags libfuse hands the kernel: relatime and strictatime are not among those
 * libfuse 2 knows (nor needed: lib/fs updates atimes, the kernel does not for FUSE), noatime
 * is passed too so that /proc/mounts shows it
 */
function kernelOptions(opts: MountOptions): string[] {
  const flags: string[] = []
  if (opts.readOnly) flags.push('ro')
  if (opts.suid) flags.push('suid')
  if (opts.dev) flags.push('dev')
  if (opts.exec === false) flags.push('noexec')
  if (opts.atime === 'noatime') flags.push('noatime')
  return flags
}
/**
 * An op still unanswered after this long is answered ETIMEDOUT (by the binding). It is above the
 * metadata store's own retry deadline (15 s), so that the store's error normally arrives first.
 */
export const OP_TIMEOUT_MS = ms(undefined, 'op-timeout')

export class Mount {
  private static readonly mounts = new Map<string, Promise<Mount>>()
  private unmounting?: Promise<void>

  private constructor(
    readonly fs: Filesystem,
    /** the absolute mountpoint */
    readonly dir: string,
    private readonly served: Served,
    /** the binding serving it */
    readonly binding: BindingName,
    /** requests per op that reached JavaScript since the mount, e.g. counts.write */
    readonly counts: OpCounts,
    private readonly opts: MountOptions,
  ) {}

  /**
   * mount serves fs on dir. Idempotent: mounting the same fs on the same dir again returns the
   * existing Mount. A stale mountpoint (its server died: ENOTCONN) is detached first.
   */
  static async mount(fs: Filesystem, dir: string, opts: MountOptions = {}): Promise<Mount> {
    const mnt = resolve(dir)
    const known = Mount.mounts.get(mnt)
    if (known) {
      const m = await known
      if (m.fs !== fs) throw new ConfigError('dir', `${mnt} is already mounted with filesystem '${m.fs.name}'`)
      return m
    }
    const starting = Mount.start(fs, mnt, opts)
    Mount.mounts.set(mnt, starting)
    try {
      return await starting
    } catch (err) {
      Mount.mounts.delete(mnt)
      throw err
    }
  }

  private static async start(fs: Filesystem, mnt: string, opts: MountOptions): Promise<Mount> {
    await recoverStale(mnt)
    const st = await stat(mnt).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new ConfigError('dir', `${mnt} does not exist`)
      throw new ConfigError('dir', `${mnt}: ${err.code ?? err.message}`)
    })
    if (!st.isDirectory()) throw new ConfigError('dir', `${mnt} is not a directory`)
    if (isMounted(mnt)) throw new ConfigError('dir', `${mnt} is already a mountpoint`)

    const attrTimeout = opts.attrTimeout ?? DEFAULT_CACHE_TIMEOUT_S
    // lib/fs may trust what it read or wrote for as long as the kernel trusts what we answer
    fs.trustAttributes(attrTimeout * 1000)
    fs.updateAtime(atimeMode(opts, opts.readOnly ?? false))
    const counts: OpCounts = {}
    const binding = opts.binding ?? DEFAULT_BINDING
    const serve = binding === 'fuse-native' ? serveFuseNative : serveLowlevel
    const served = await serve(fs, mnt, {
      debug: opts.debug,
      defaultPermissions: !opts.acl,
      allowOther: opts.allowOther,
      attrTimeout,
      entryTimeout: opts.entryTimeout ?? DEFAULT_CACHE_TIMEOUT_S,
      negativeTimeout: opts.negativeTimeout ?? 0,
      bigWrites: opts.bigWrites,
      writebackCache: opts.writebackCache ?? false,
      kernelOptions: kernelOptions(opts),
      timeoutMs: opts.opTimeoutMs ?? OP_TIMEOUT_MS,
      readAheadBytes: opts.readAheadBytes,
      counts,
    }).catch((err: Error) => {
      throw new Error(`cannot mount ${mnt}: ${err.message}`, { cause: err })
    })
    log.info({ dir: mnt, fs: fs.name, binding, options: served.options }, 'mounted')
    return new Mount(fs, mnt, served, binding, counts, opts)
  }

  /** mounted tells whether the kernel still has this mount */
  get mounted(): boolean {
    return this.unmounting === undefined && isMounted(this.dir)
  }

  /**
   * followRemount notices a remount (mount -o remount,ro) in /proc/mounts: libfuse 2 is not
   * told, and a read-only mount must not write atimes. The serving command calls it as it
   * watches the mount.
   */
  followRemount(): void {
    const options = fuseMounts().find(m => m.dir === this.dir)?.options
    if (!options) return
    this.fs.updateAtime(atimeMode(this.opts, options.includes('ro')))
  }

  /** the -o options libfuse was given */
  get options(): string {
    return this.served.options
  }

  /**
   * unmount takes the mount away (fusermount -u, lazily when busy) and stops serving it; also
   * when someone else unmounted it already. Idempotent. It does not close the Filesystem.
   */
  unmount(): Promise<void> {
    this.unmounting ??= this.stop().catch(err => {
      this.unmounting = undefined
      throw err
    })
    return this.unmounting
  }

  private async stop(): Promise<void> {
    Mount.mounts.delete(this.dir)
    await this.served.stop()
    log.info({ dir: this.dir, fs: this.fs.name }, 'unmounted')
  }
}
