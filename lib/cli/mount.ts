// meridian mount <dir>: serve a filesystem through FUSE. Foreground by default: it serves until
// SIGINT/SIGTERM or until someone unmounts it (meridian umount), then unmounts cleanly and
// exits. --background spawns the same command detached, with its output appended to
// ~/.meridian/mount.log, and returns once the mount is in /proc/mounts.
import { readModes, type ReadMode } from '../causal'
import { openFilesystem, type ClientOptions } from '../client/open'
import { openSnapshot } from '../client/snapshot'
import { ms, value, type Tuning } from '../config/tunables'
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Command, Option } from 'commander'
import { ConfigError, MetaError } from '../errors'
import { Filesystem } from '../fs/filesystem'
import { BINDINGS, DEFAULT_BINDING, Mount, isMounted, recoverStale, remountDir, type BindingName } from '../fuse'
import { sdNotify } from '../fuse/lowlevel/sd-notify'
import { log } from '../log'
import { DEFAULT_SLOW_OP_MS, recentSlowOps, setSlowOpMs } from '../metrics'
import { defaultMetaUrl, openStore, type MetaStore } from '../meta'
import { listen, parseListen, StatusSource, statusRoutes, type Listening } from '../web'
import { DEFAULT_NAME, defaultPools, formatStore, meridianHome } from './format'
import { parseMountOptions } from './mount-options'
import { mountReplicator, replicateEvery, type ReplicatorService } from './replicate'
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
  /** GROUP=URL, repeatable: how this mount reaches a group, instead of the URL the root group lists */
  groupUrl?: string[]
  /** testing: each new directory in the next group in turn (lib/fs spreadDirectories) */
  spreadDirectories?: boolean
  /** mount(8)-style options: ro, suid, dev, noatime, relatime, strictatime, remount (mount-options.ts) */
  options?: string
  /** the FUSE binding: lowlevel (default) or fuse-native */
  binding?: string
  /** mount this snapshot (meridian snapshot create), read-only, instead of the live filesystem */
  snapshot?: string
  /** the site this mount is in: reads try its pools first */
  site?: string
  /** run the replicator inside the mount */
  replicate?: boolean
  /** seconds between its passes (default 30) */
  replicateInterval?: string
  /** the configuration file's tunables (lib/config: store-lock-wait, mount-wait, session-ttl, ...) */
  tuning?: Partial<Tuning>
  /** the configuration file read, which a background mount reads again */
  configFile?: string
  /** HOST:PORT to serve /metrics (Prometheus) and the status page on */
  metrics?: string
  /** operations slower than this many milliseconds are logged (and shown on the status page) */
  slowOpMs?: string
}
/** how often a foreground mount checks that it is still mounted */
const WATCH_MS = 250

/**
 * mountPoint checks dir before anything is started: absolute, a directory, not mounted. A
 * missing mountpoint is made (so that a first mount needs no preparation) by `made`, which
 * serve calls only once the filesystem opened: a mount that fails leaves no directory behind.
 */
async function mountPoint(dir: string): Promise<{ abs: string; made(): Promise<void> }> {
  const abs = resolve(dir)
  await recoverStale(abs)
  const st = await stat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new ConfigError('dir', `${abs}: ${err.code ?? err.message}`)
    return undefined
  })
  if (st && !st.isDirectory()) throw new ConfigError('dir', `${abs} is not a directory`)
  if (st && isMounted(abs)) throw new ConfigError('dir', `${abs} is already a mountpoint`)
  const made = async () => {
    if (st) return
    await mkdir(abs, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      throw new ConfigError('dir', `cannot create ${abs}: ${e.code ?? e.message}`)
    })
  }
  return { abs, made }
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

/** groupUrls reads --group-url GROUP=URL (repeatable) as group name -> URL */
function groupUrls(values: string[] | undefined): Record<string, string> | undefined {
  if (!values) return undefined
  const out: Record<string, string> = {}
  for (const v of values) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)=([a-z][a-z0-9+]*:\/\/.+)$/.exec(v)
    if (!m) throw new ConfigError('group-url', `'${v}' is not group=url (e.g. us=etcd://10.2.0.1:2379)`)
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

function slowOpMs(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SLOW_OP_MS
  const n = Number(value)
  if (!(n >= 0 && n <= 3_600_000)) throw new ConfigError('slow-op-ms', `'${value}' is not a number of milliseconds between 0 and 3600000`)
  return n
}

function bindingOf(value: string | undefined): BindingName {
  if (value === undefined) return DEFAULT_BINDING
  if (!(BINDINGS as readonly string[]).includes(value)) throw new ConfigError('binding', `'${value}' is not one of ${BINDINGS.join(', ')}`)
  return value as BindingName
}

/** open the store; a mount that was just unmounted may hold the embedded store for a moment */
async function openWaiting(meta: string, tuning: Partial<Tuning> | undefined): Promise<MetaStore> {
  const giveUp = Date.now() + ms(tuning, 'store-lock-wait')
  for (;;) {
    try {
      return await openStore(meta, { deadlineMs: ms(tuning, 'meta-deadline') })
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

/** clientTuning: what the tunables set when the filesystem is opened (defaults: lib/config/tunables) */
function clientTuning(tuning: Partial<Tuning> | undefined): ClientOptions {
  return {
    sessionTtl: value(tuning, 'session-ttl'),
    writebackMs: ms(tuning, 'writeback-interval'),
    readCacheBytes: value(tuning, 'read-cache-size'),
    entryTtlMs: ms(tuning, 'name-cache-ttl'),
    crossGroupTimeoutMs: ms(tuning, 'cross-group-timeout'),
    groupDeadlineMs: ms(tuning, 'group-deadline'),
    data: { readAheadBlocks: value(tuning, 'read-ahead-blocks'), bufferedBatches: value(tuning, 'write-buffer-batches') },
  }
}

/** serve mounts in this process and returns once unmounted (by a signal or by someone else) */
export async function serve(dir: string, opts: MountCliOptions): Promise<void> {
  const parsed = parseMountOptions(opts.options)
  if (parsed.remount) return remount(dir, parsed.remountMode === 'ro')
  // every option is checked before anything is made (the mountpoint, the store)
  const reads = readMode(opts.reads)
  const urls = groupUrls(opts.groupUrl)
  const binding = bindingOf(opts.binding)
  nearestMembers(opts.nearest)
  const attrTimeout = seconds('attr-timeout', opts.attrTimeout)
  const replicateS = replicateEvery(opts)
  if (replicateS && opts.snapshot !== undefined) throw new ConfigError('replicate', 'a snapshot mount is read-only: it has nothing to replicate')
  if (opts.metrics !== undefined) parseListen('metrics', opts.metrics)
  setSlowOpMs(slowOpMs(opts.slowOpMs))
  const { abs: mnt, made } = await mountPoint(dir)
  const name = opts.name ?? DEFAULT_NAME
  const meta = opts.meta ?? defaultMetaUrl()
  const early = heldSignals()
  const store = await openWaiting(meta, opts.tuning).catch(err => { early.release(); throw err })
  let fs: Filesystem | undefined
  let mount: Mount | undefined
  let replicator: ReplicatorService | undefined
  let web: { listening: Listening; source: StatusSource } | undefined
  let ready = false
  try {
    const client = { name, reads, nearest: nearestMembers(opts.nearest), spreadDirectories: opts.spreadDirectories, groupUrls: urls, site: opts.site, mountpoint: mnt, ...clientTuning(opts.tuning) }
    fs = opts.snapshot !== undefined ? await openSnapshot(store, opts.snapshot, client) : await openFilesystem(store, client).catch(async (err: unknown) => {
      // the zero-setup default (no --meta) formats on first use; open names 'name' when absent
      if (opts.meta !== undefined || !(err instanceof ConfigError && err.field === 'name')) throw err
      await formatStore(store, { name, pools: defaultPools() })
      return openFilesystem(store, client)
    })
    await made()
    // listening before mounting: an address in use fails the mount before anything is mounted
    if (opts.metrics !== undefined) {
      const source = new StatusSource(store, name, meta, recentSlowOps)
      web = { source, listening: await listen('metrics', opts.metrics, statusRoutes(source)) }
    }
    mount = await Mount.mount(fs, mnt, {
      ...parsed.mount,
      // a snapshot is what the filesystem was: the kernel refuses every change to it
      readOnly: parsed.mount.readOnly || opts.snapshot !== undefined,
      opTimeoutMs: ms(opts.tuning, 'op-timeout'),
      readAheadBytes: value(opts.tuning, 'kernel-read-ahead'),
      binding,
      debug: opts.debug,
      attrTimeout,
      allowOther: opts.allowOther || parsed.mount.allowOther,
    })
    process.stdout.write(`meridian: '${name}' mounted at ${mnt} (pid ${process.pid})\n`)
    if (replicateS) replicator = mountReplicator(store, name, replicateS)
    if (web) process.stdout.write(`meridian: metrics at http://${web.listening.address}/metrics, status page at http://${web.listening.address}/\n`)
    if (process.env.NOTIFY_SOCKET) {
      // systemd (Type=notify) counts the unit as started once the mount answers: its root is statted through it
      await stat(mnt)
      ready = notifySystemd(`READY=1\nSTATUS=serving '${name}' at ${mnt}`)
    }
    const why = await unmounted(mount, early)
    log.info({ dir: mnt, why }, 'shutting down')
  } finally {
    early.release()
    if (ready) notifySystemd('STOPPING=1')
    await replicator?.stop()
    await web?.listening.close()
    await web?.source.close()
    await mount?.unmount().catch(err => log.error({ dir: mnt, err }, 'unmount failed'))
    await fs?.close().catch(err => log.error({ dir: mnt, err }, 'closing the filesystem failed'))
    await store.close().catch(err => log.error({ err }, 'closing the metadata store failed'))
  }
}

/** notifySystemd tells systemd state when it asked ($NOTIFY_SOCKET); a failure is logged, the mount serves on */
function notifySystemd(state: string): boolean {
  try {
    return sdNotify(state)
  } catch (err) {
    log.warn({ err, socket: process.env.NOTIFY_SOCKET }, `cannot notify systemd of ${state.split('\n')[0]}`)
    return false
  }
}

interface HeldSignals {
  /** the SIGINT or SIGTERM that arrived while the mount was coming up */
  signal?: NodeJS.Signals
  release(): void
}

/**
 * heldSignals holds a SIGINT or SIGTERM that arrives while the mount comes up, for unmounted()
 * to act on once it is up: the default action would kill the process and leave the mount stale
 * (the kernel lists a mount before Mount.mount resolves)
 */
function heldSignals(): HeldSignals {
  const held: HeldSignals = {
    release: () => {
      process.off('SIGINT', hold)
      process.off('SIGTERM', hold)
    },
  }
  const hold = (signal: NodeJS.Signals) => { held.signal = signal }
  process.once('SIGINT', hold)
  process.once('SIGTERM', hold)
  return held
}

/**
 * resolves with the reason once a signal arrives (or arrived while mounting: early), the mount
 * disappears, or something throws where nobody catches it (logged; the mount is then taken
 * down cleanly instead of left stale)
 */
function unmounted(mount: Mount, early: HeldSignals): Promise<string> {
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
    early.release()
    if (early.signal) finish(early.signal)
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
  groupUrls(opts.groupUrl)
  bindingOf(opts.binding)
  replicateEvery(opts)
  seconds('attr-timeout', opts.attrTimeout)
  slowOpMs(opts.slowOpMs)
  if (opts.metrics !== undefined) parseListen('metrics', opts.metrics)
  const parsed = parseMountOptions(opts.options)
  if (parsed.remount) throw new ConfigError('o', 'remount changes a live mount: run it without --background')
  const { abs: mnt, made } = await mountPoint(dir)
  await made()
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
  for (const g of opts.groupUrl ?? []) args.push('--group-url', g)
  if (opts.spreadDirectories) args.push('--spread-directories')
  if (opts.options !== undefined) args.push('-o', opts.options)
  if (opts.binding !== undefined) args.push('--binding', opts.binding)
  if (opts.snapshot !== undefined) args.push('--snapshot', opts.snapshot)
  if (opts.site !== undefined) args.push('--site', opts.site)
  if (opts.replicate) args.push('--replicate')
  if (opts.replicateInterval !== undefined) args.push('--replicate-interval', opts.replicateInterval)
  if (opts.configFile !== undefined) args.push('--config', opts.configFile)
  if (opts.metrics !== undefined) args.push('--metrics', opts.metrics)
  if (opts.slowOpMs !== undefined) args.push('--slow-op-ms', opts.slowOpMs)
  // systemd's socket is for the process it started: the serving child is not its main process
  const env = { ...process.env }
  delete env.NOTIFY_SOCKET
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env })
  closeSync(out)
  let exited: number | null = null
  child.on('exit', (code, signal) => { exited = code ?? (signal ? 128 : 1) })
  try {
    const waitMs = ms(opts.tuning, 'mount-wait')
    const giveUp = Date.now() + waitMs
    while (!isMounted(mnt)) {
      if (exited !== null) throw childFailed(logPath, from, exited)
      if (Date.now() > giveUp) {
        child.kill('SIGTERM')
        throw new ConfigError('dir', `${mnt} was not mounted within ${waitMs / 1000} s (see ${logPath})`)
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
    .option('--background', 'run detached, logging to mount.log in the Meridian home (~/.meridian); return once mounted')
    .option('--debug', "libfuse's debug output")
    .option('--attr-timeout <seconds>', 'how long the kernel trusts attributes (default 1; 0 for strict hard-link counts)')
    .option('--allow-other', 'let other users in; each acts as itself, and what it creates belongs to it (docs/fuse.md)')
    .option('--reads <mode>', 'metadata reads: causal (nearest replica when caught up, the default), linearizable (always the quorum), nearest (unchecked)')
    .option('--nearest <group=host:port>', 'the etcd member of a group nearest to this mount, which serves its reads; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--group-url <group=url>', 'how this mount reaches a group, instead of the URL the root group lists (e.g. through a site\'s WAN link); repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option('--spread-directories', 'testing: every new directory in the next group in turn, so operations between directories cross groups').hideHelp())
    .option('-o, --options <list>', 'mount options: ro, rw, suid, dev, noexec, noatime, relatime (default), strictatime, allow_other, acl, writeback_cache; remount,ro|rw changes a live mount')
    .option('--binding <name>', `FUSE binding: ${BINDINGS.join(' or ')} (default ${DEFAULT_BINDING}; docs/fuse.md)`)
    .option('--snapshot <name>', 'mount this snapshot of the filesystem, read-only (meridian snapshot ls)')
    .option('--site <site>', 'the site this mount is in: blobs are read from its pools first')
    .option('--replicate', 'run the replicator inside the mount (passes logged)')
    .option('--replicate-interval <seconds>', 'seconds between its passes (default 30)')
    .option('--metrics <addr>', 'serve Prometheus metrics (/metrics) and the status page (/) on HOST:PORT, :PORT or PORT (127.0.0.1 then); docs/metrics.md')
    .option('--slow-op-ms <ms>', `log operations slower than this, with their path or inode (default ${DEFAULT_SLOW_OP_MS})`)
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
