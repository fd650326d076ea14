// The kernel's view of FUSE mounts: is a directory mounted, is it stale, take it away.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { statfs } from 'node:fs/promises'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { log } from '../log'

const run = promisify(execFile)

export interface MountEntry {
  source: string
  dir: string
  type: string
  /** the mount's flags and options (ro or rw first) */
  options: string[]
}

/** /proc/mounts escapes space, tab, newline and backslash as octal */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))

/** fuseMounts lists the FUSE mounts in /proc/mounts (type fuse or fuse.<subtype>). */
export function fuseMounts(): MountEntry[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map(line => line.split(' '))
    .filter(f => f.length >= 3 && /^fuse(\.|$)/.test(f[2]))
    .map(f => ({ source: unescape(f[0]), dir: unescape(f[1]), type: f[2], options: (f[3] ?? '').split(',') }))
}

/** isMounted tells whether a FUSE filesystem is mounted on dir. */
export function isMounted(dir: string): boolean {
  const abs = resolve(dir)
  return fuseMounts().some(m => m.dir === abs)
}

const STALE = new Set(['ENOTCONN', 'ECONNABORTED'])

/**
 * isStale tells whether dir is a FUSE mountpoint whose server is gone: statfs fails with ENOTCONN
 * ("Transport endpoint is not connected") or, when the kernel aborted the connection while
 * requests were in flight, ECONNABORTED.
 */
export async function isStale(dir: string): Promise<boolean> {
  try {
    // statfs always reaches the server; stat may be answered from the kernel's attribute cache
    await statfs(dir)
    return false
  } catch (err) {
    return STALE.has((err as NodeJS.ErrnoException).code ?? '')
  }
}

/** recoverStale detaches a stale FUSE mountpoint (fusermount -uz); true when there was one. */
export async function recoverStale(dir: string): Promise<boolean> {
  if (!(await isStale(dir))) return false
  log.warn({ dir }, 'stale FUSE mountpoint (transport endpoint is not connected): detaching it')
  await fusermount(['-uz', dir])
  return true
}

/**
 * unmountDir takes the FUSE mount off dir: `fusermount -u`, and when that fails (busy) and
 * `lazy` allows it, `fusermount -uz` (detach now, finish when the last user lets go).
 * Nothing to do when dir is not mounted.
 */
export async function unmountDir(dir: string, opts: { lazy?: boolean } = {}): Promise<void> {
  if (!isMounted(dir)) return
  try {
    await fusermount(['-u', dir])
  } catch (err) {
    if (!opts.lazy || !isMounted(dir)) throw err
    log.warn({ dir, err: (err as Error).message }, 'unmount failed; detaching lazily')
    await fusermount(['-uz', dir])
  }
}

/**
 * remountDir makes a live FUSE mount read-only or writable again (root only). `mount -i`: the
 * kernel remounts FUSE itself, but plain mount(8) hands fuse.<subtype> mounts to the
 * mount.fuse helper, which looks for a program named after the subtype
 */
export async function remountDir(dir: string, readOnly: boolean): Promise<void> {
  try {
    await run('mount', ['-i', '-o', `remount,${readOnly ? 'ro' : 'rw'}`, resolve(dir)])
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0]
    throw new Error(stderr || (err as Error).message, { cause: err })
  }
}

/** fusermount runs fusermount; a failure carries its first line of stderr as the message */
export async function fusermount(args: string[]): Promise<void> {
  try {
    await run('fusermount', args)
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0]
    throw new Error(stderr || (err as Error).message, { cause: err })
  }
}
