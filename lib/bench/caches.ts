// Dropping caches before a cold read: what a FUSE target can drop by remounting is its own
// business (meridian-target.ts, bindfs.ts); the kernel's page cache needs root.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** dropCaches writes back the filesystem holding dir and drops the page cache; false when not allowed (not root) */
export async function dropCaches(dir: string): Promise<boolean> {
  if (process.getuid?.() !== 0) return false
  // asynchronously: this process may serve a FUSE mount that a sync would have to wait for
  await run('sync', ['-f', dir])
  return writeFile('/proc/sys/vm/drop_caches', '1').then(() => true, () => false)
}

/** coolness says in words what was done before a cold read */
export function coolness(remounted: boolean, dropped: boolean): string {
  const done = [remounted ? 'remount' : '', dropped ? 'drop_caches' : ''].filter(Boolean)
  return done.length > 0 ? done.join(' + ') : 'warm (not root: page cache not dropped)'
}
