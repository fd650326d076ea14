// meridian mount <dir>: serve a filesystem through FUSE. Foreground by default: it serves until
// SIGINT/SIGTERM or until someone unmounts it (meridian umount), then unmounts cleanly and
// exits. --background spawns the same command detached, with its output appended to
// ~/.meridian/mount.log, and returns once the mount is in /proc/mounts.
import { readModes, type ReadMode } from '../causal'
import { openFilesystem } from '../client/open'
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Command, Option } from 'commander'
import { ConfigError, MetaError } from '../errors'
import { Filesystem } from '../fs/filesystem'
import { BINDINGS, DEFAULT_BINDING, Mount, isMounted, recoverStale, remountDir, type BindingName } from '../fuse'
import { log } from '../log'
import { defaultMetaUrl, openStore, type MetaStore } from '../meta'
import { DEFAULT_NAME, defaultPools, formatStore, meridianHome } from './format'
import { parseMountOptions } from './mount-options'
import { print } from './run'

export interface MountCliOptions {
  meta?: string
  name?: string
  background?: boolean
  debug?: boolean
  json?: boolean
  /** seconds the kernel trusts attributes (0: always ask; hard-link counts are then never stale) */
  attrTimeout?: string
  allowOther?: boolean
  /** how metadata reads are served: causal (default), linearizable, nearest */
  reads?: string
  /** GROUP=HOST:PORT, repeatable: the etcd member of a group nearest to this mount */
  nearest?: string[]
  /** testing: each new directory in the next group in turn (lib/fs spreadDirectories) */
  spreadDirectories?: boolean
  /** mount(8)-style options: ro, suid, dev, noatime, relatime, strictatime, remount (mount-options.ts) */
  options?: string
  /** the FUSE binding: lowlevel (default) or fuse-native */
  binding?: string
}

/** how long the embedded store may stay locked by a mount that is still shutting down */
const LOCK_WAIT_MS = 15_000
/** how long --background waits for the mount to appear */
const MOUNT_WAIT_MS = 30_000
/** how often a foreground mount checks that it is still mounted */
const WATCH_MS = 250

/** mountPoint checks dir before anything is started: absolute, a directory, not mounted */
async function mountPoint(dir: string): Promise<string> {
  const abs = resolve(dir)
  await recoverStale(abs)
  // a missing mountpoint is made, so that a first mount needs no preparation
  const st = await stat(abs).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new ConfigError('dir', `${abs}: ${err.code ?? err.message}`)
    await mkdir(abs, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      throw new ConfigError('dir', `cannot create ${abs}: ${e.code ?? e.message}`)
    })
    return stat(abs)
  })
  if (!st.isDirectory()) throw new ConfigError('dir', `${abs} is not a directory`)
  if (isMounted(abs)) throw new ConfigError('dir', `${abs} is already a mountpoint`)
  return abs
}

function readMode(value: string | undefined): ReadMode | undefined {
  if (value === undefined || (readModes as readonly string[]).includes(value)) return value as ReadMode | undefined
  throw new ConfigError('reads', `'${value}' is not one of ${readModes.join(', ')}`)
}

function nearestMembers(values: string[] | undefined): Record<string, string> | undefined {
  if (!values) return undefined
  const out: Record<string, string> = {}
  for (const v of values) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)=([\w.-]+:\d+)$/.exec(v)
    if (!m) throw new ConfigError('nearest', `'${v}' is not group=host:port`)
    out[m[1]] = m[2]
  }
  return out
}

function seconds(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!(n >= 0 && n <= 3600)) throw new ConfigError(field, `'${value}' is not a number of seconds between 0 and 3600`)
  return n
}

function bindingOf(value: string | undefined): BindingName {
  if (value === undefined) return DEFAULT_BINDING
  if (!(BINDINGS as readonly string[]).includes(value)) throw new ConfigError('binding', `'${value}' is not one of ${BINDINGS.join(', ')}`)
  return value as BindingName
}

/** open the store; a mount that was just unmounted may hold the embedded store for a moment */
async function openWaiting(meta: string): Promise<MetaStore> {
  const giveUp = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      return await openStore(meta) // every operation of the mount gets the default deadline (lib/meta/retry.ts)
    } catch (err) {
      if (!(err instanceof MetaError && err.code === 'ELOCKED') || Date.now() > giveUp) throw err
      await sleep(200)
    }
  }
}

/** remount makes the live mount on dir read-only or writable again; the kernel lets only root */
async function remount(dir: string, readOnly: boolean): Promise<void> {
  const mnt = resolve(dir)
  if (!isMounted(mnt)) throw new ConfigError('dir', `${mnt} is not mounted: nothing to remount`)
  if (process.getuid?.() !== 0) throw new ConfigError('o', 'remount needs root (the kernel lets only root remount); otherwise unmount and mount again with -o ro')
  await remountDir(mnt, readOnly)
  process.stdout.write(`meridian: ${mnt} remounted ${readOnly ? 'read-only' : 'read-write'}\n`)
}

/** serve mounts in this process and returns once unmounted (by a signal or by someone else) */
export async function serve(dir: string, opts: MountCliOptions): Promise<void> {
  const parsed = parseMountOptions(opts.options)
  if (parsed.remount) return remount(dir, parsed.remountMode === 'ro')
  const reads = readMode(opts.reads)
  const binding = bindingOf(opts.binding)
  const mnt = await mountPoint(dir)
  const name = opts.name ?? DEFAULT_NAME
  const meta = opts.meta ?? defaultMetaUrl()
  const store = await openWaiting(meta)
  let fs: Filesystem | undefined
  let mount: Mount | undefined
  try {
    const nearest = nearestMembers(opts.nearest)
    const spreadDirectories = opts.spreadDirectories
    fs = await openFilesystem(store, { name, reads, nearest, spreadDirectories }).catch(async (err: unknown) => {
      // the zero-setup default (no --meta) formats on first use; open names 'name' when absent
      if (opts.meta !== undefined || !(err instanceof ConfigError && err.field === 'name')) throw err
      await formatStore(store, { name, pools: defaultPools() })
      return openFilesystem(store, { name, reads, nearest, spreadDirectories })
    })
    mount = await Mount.mount(fs, mnt, {
      ...parsed.mount,
      binding,
      debug: opts.debug,
      attrTimeout: seconds('attr-timeout', opts.attrTimeout),
      allowOther: opts.allowOther || parsed.mount.allowOther,
    })
    process.stdout.write(`meridian: '${name}' mounted at ${mnt} (pid ${process.pid})\n`)
    const why = await unmounted(mount)
    log.info({ dir: mnt, why }, 'shutting down')
  } finally {
    await mount?.unmount().catch(err => log.error({ dir: mnt, err }, 'unmount failed'))
    await fs?.close().catch(err => log.error({ dir: mnt, err }, 'closing the filesystem failed'))
    await store.close().catch(err => log.error({ err }, 'closing the metadata store failed'))
  }
}

/**
 * resolves with the reason once a signal arrives, the mount disappears, or something throws
 * where nobody catches it (logged; the mount is then taken down cleanly instead of left stale)
 */
function unmounted(mount: Mount): Promise<string> {
  return new Promise(done => {
    let finished = false
    const finish = (why: string) => {
      if (finished) return
      finished = true
      clearInterval(watch)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      // a second signal while shutting down leaves at once
      process.once('SIGINT', () => process.exit(130))
      process.once('SIGTERM', () => process.exit(143))
      done(why)
    }
    const onSignal = (signal: NodeJS.Signals) => finish(signal)
    const watch = setInterval(() => {
      if (!mount.mounted) finish('unmounted from outside')
      else mount.followRemount()
    }, WATCH_MS)
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    process.on('uncaughtException', err => {
      log.fatal({ dir: mount.dir, err }, 'uncaught exception; unmounting')
      process.exitCode = 1
      finish('uncaught exception')
    })
    process.on('unhandledRejection', err => log.error({ dir: mount.dir, err }, 'unhandled rejection'))
  })
}

export interface Background {
  pid: number
  dir: string
  log: string
}

/** background starts `meridian mount` detached and returns once its mount is up */
export async function background(dir: string, opts: MountCliOptions): Promise<Background> {
  readMode(opts.reads)
  nearestMembers(opts.nearest)
  bindingOf(opts.binding)
  const parsed = parseMountOptions(opts.options)
  if (parsed.remount) throw new ConfigError('o', 'remount changes a live mount: run it without --background')
  const mnt = await mountPoint(dir)
  const home = meridianHome()
  mkdirSync(home, { recursive: true })
  const logPath = join(home, 'mount.log')
  const from = sizeOf(logPath)
  const out = openSync(logPath, 'a')
  const bin = join(__dirname, '..', '..', 'bin', 'meridian.js')
  const args = [bin, 'mount', mnt]
  if (opts.meta !== undefined) args.push('--meta', opts.meta)
  if (opts.name !== undefined) args.push('--name', opts.name)
  if (opts.debug) args.push('--debug')
  if (opts.attrTimeout !== undefined) args.push('--attr-timeout', opts.attrTimeout)
  if (opts.allowOther) args.push('--allow-other')
  if (opts.reads !== undefined) args.push('--reads', opts.reads)
  for (const n of opts.nearest ?? []) args.push('--nearest', n)
  if (opts.spreadDirectories) args.push('--spread-directories')
  if (opts.options !== undefined) args.push('-o', opts.options)
  if (opts.binding !== undefined) args.push('--binding', opts.binding)
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] })
  closeSync(out)
  let exited: number | null = null
  child.on('exit', (code, signal) => { exited = code ?? (signal ? 128 : 1) })
  try {
    const giveUp = Date.now() + MOUNT_WAIT_MS
    while (!isMounted(mnt)) {
      if (exited !== null) throw childFailed(logPath, from, exited)
      if (Date.now() > giveUp) {
        child.kill('SIGTERM')
        throw new ConfigError('dir', `${mnt} was not mounted within ${MOUNT_WAIT_MS / 1000} s (see ${logPath})`)
      }
      await sleep(50)
    }
  } finally {
    child.unref()
  }
  return { pid: child.pid ?? 0, dir: mnt, log: logPath }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/** the error of a background mount that exited: its own one-line error from the log */
function childFailed(logPath: string, from: number, code: number): Error {
  const text = readFileSync(logPath).subarray(from).toString()
  const line = text.split('\n').reverse().find(l => l.startsWith('meridian: '))?.slice('meridian: '.length)
  const field = line === undefined ? undefined : /^([\w -]+): (.*)$/.exec(line)
  if (code === 2 && field) return new ConfigError(field[1], `${field[2]}`)
  return new BackgroundError(`the background mount exited with code ${code}: ${line ?? `see ${logPath}`}`)
}

/** a background mount that failed: reported in one line, as the mount itself reported it */
export class BackgroundError extends Error {
  override name = 'BackgroundError'
}

export function mountCommand(): Command {
  return new Command('mount')
    .description('mount a filesystem on <dir> through FUSE (with no options: the embedded default, formatted on first use)')
    .argument('<dir>', 'an empty directory to mount on')
    .option('--meta <url>', 'metadata store: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
    .option('--name <name>', `filesystem name (default: ${DEFAULT_NAME})`)
    .option('--background', 'run detached, logging to ~/.meridian/mount.log; return once mounted')
    .option('--debug', "libfuse's debug output")
    .option('--attr-timeout <seconds>', 'how long the kernel trusts attributes (default 1; 0 for strict hard-link counts)')
    .option('--allow-other', 'let other users in; what they create belongs to the mounting user (docs/fuse.md)')
    .option('--reads <mode>', 'metadata reads: causal (nearest replica when caught up, the default), linearizable (always the quorum), nearest (unchecked)')
    .option('--nearest <group=host:port>', 'the etcd member of a group nearest to this mount, which serves its reads; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option('--spread-directories', 'testing: every new directory in the next group in turn, so operations between directories cross groups').hideHelp())
    .option('-o, --options <list>', 'mount options: ro, rw, suid, dev, noatime, relatime (default), strictatime, allow_other, acl; remount,ro|rw changes a live mount')
    .option('--binding <name>', `FUSE binding: ${BINDINGS.join(' or ')} (default ${DEFAULT_BINDING}; docs/fuse.md)`)
    .option('--json', 'print JSON (with --background)')
    .action(async (dir: string, opts: MountCliOptions) => {
      if (opts.background) {
        const b = await background(dir, opts).catch(err => {
          if (!(err instanceof BackgroundError)) throw err
          process.stderr.write(`meridian: ${err.message}\n`)
          process.exitCode = 1
        })
        if (!b) return
        print(opts.json, { ...b }, `meridian: mounted at ${b.dir} in the background (pid ${b.pid}, log ${b.log})`)
        return
      }
      await serve(dir, opts)
    })
}
