// meridian mount <dir>: serve a filesystem through FUSE. Foreground by default: it serves until
// SIGINT/SIGTERM or until someone unmounts it (meridian umount), then unmounts cleanly and
// exits. --background spawns the same command detached, with its output appended to
// ~/.meridian/mount.log, and returns once the mount is in /proc/mounts.
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Command } from 'commander'
import { ConfigError, MetaError } from '../errors'
import { Filesystem } from '../fs/filesystem'
import { Mount, isMounted, recoverStale } from '../fuse'
import { log } from '../log'
import { defaultMetaUrl, openStore, type MetaStore } from '../meta'
import { openPlacedPools } from '../placement/placed-pools'
import { DEFAULT_NAME, defaultPools, formatStore, meridianHome } from './format'
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

function seconds(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!(n >= 0 && n <= 3600)) throw new ConfigError(field, `'${value}' is not a number of seconds between 0 and 3600`)
  return n
}

/** open the store; a mount that was just unmounted may hold the embedded store for a moment */
async function openWaiting(meta: string): Promise<MetaStore> {
  const giveUp = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      return await openStore(meta, { deadlineMs: 5_000 })
    } catch (err) {
      if (!(err instanceof MetaError && err.code === 'ELOCKED') || Date.now() > giveUp) throw err
      await sleep(200)
    }
  }
}

/** serve mounts in this process and returns once unmounted (by a signal or by someone else) */
export async function serve(dir: string, opts: MountCliOptions): Promise<void> {
  const mnt = await mountPoint(dir)
  const name = opts.name ?? DEFAULT_NAME
  const meta = opts.meta ?? defaultMetaUrl()
  const store = await openWaiting(meta)
  let fs: Filesystem | undefined
  let mount: Mount | undefined
  try {
    // blocks go where the placement policies say, through every pool of the pool map
    const openPools = (s: MetaStore) => openPlacedPools(s, name)
    fs = await Filesystem.open(store, { name, openPools }).catch(async (err: unknown) => {
      // the zero-setup default (no --meta) formats on first use; open names 'name' when absent
      if (opts.meta !== undefined || !(err instanceof ConfigError && err.field === 'name')) throw err
      await formatStore(store, { name, pools: defaultPools() })
      return Filesystem.open(store, { name, openPools })
    })
    mount = await Mount.mount(fs, mnt, { debug: opts.debug, attrTimeout: seconds('attr-timeout', opts.attrTimeout), allowOther: opts.allowOther })
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
