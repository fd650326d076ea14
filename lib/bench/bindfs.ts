// The reference FUSE filesystem: bindfs -o big_writes (libfuse 2, C, single-threaded: bindfs's default) over a
// local directory. It bounds what a FUSE filesystem can do on this machine: the difference
// between it and the local disk is FUSE itself; between Meridian and it, Meridian.
import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ConfigError } from '../errors'
import { unmountDir } from '../fuse/mounts'
import { coolness, dropCaches } from './caches'
import type { Target } from './targets'
import type { Teardown } from './teardown'

const run = promisify(execFile)

async function mountBindfs(source: string, dir: string): Promise<void> {
  await run('bindfs', ['-o', 'big_writes', source, dir]).catch((err: NodeJS.ErrnoException & { stderr?: string }) => {
    if (err.code === 'ENOENT') throw new ConfigError('bindfs', 'bindfs is not installed (apt-get install bindfs)')
    throw new Error(`bindfs ${dir}: ${String(err.stderr ?? err.message).trim()}`)
  })
}

/** bindfsTarget mounts root/bindfs-src on root/bindfs; cool() remounts it and drops the page cache */
export async function bindfsTarget(root: string, teardown: Teardown): Promise<Target> {
  const source = join(root, 'bindfs-src')
  const dir = join(root, 'bindfs')
  await mkdir(source)
  await mkdir(dir)
  teardown.mountpoint(dir)
  teardown.add('unmount bindfs', () => unmountDir(dir, { lazy: true }))
  await mountBindfs(source, dir)
  return {
    name: 'bindfs',
    spec: { kind: 'posix', dir },
    cool: async () => {
      await unmountDir(dir)
      await mountBindfs(source, dir)
      return coolness(true, await dropCaches(root))
    },
  }
}
