// The 'local' driver: a pool that is a directory on a mounted filesystem.
// Config: { driver: 'local', path: string, fanout?: number }
//   path    the pool root; created (mkdir -p) when missing
//   fanout  how many levels of 256 shard directories nest above the blobs (default 2).
//           It fixes where blobs live: reopen a pool with the fanout it was created with.
import { mkdir, rm, stat, statfs, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ConfigError } from '../../lib/errors'
import type { DriverFactory, PoolConfig } from '../driver'
import { registerDriver } from '../registry'
import { TEMP_PREFIX } from './atomic-write'
import { LocalPool } from './local-pool'

const DEFAULT_FANOUT = 2
// the hash has 64 hex digits and each level consumes two
const MAX_FANOUT = 32

export const openLocalPool: DriverFactory = async (config: PoolConfig) => {
  const fanout = parseFanout(config.fanout) // every option is checked before the directory is made
  const root = await prepareRoot(config.path)
  return new LocalPool(root, fanout, !(await onNetwork(root)))
}

/**
 * statfs f_type of filesystems whose calls may wait on a network (NFS, CIFS, SMB2, FUSE, Ceph,
 * Lustre): a pool on one never writes with synchronous calls on the event loop
 */
const NETWORK_FS = new Set([0x6969, 0xff534d42, 0xfe534d42, 0x65735546, 0x00c36400, 0x0bd00bd0])

async function onNetwork(root: string): Promise<boolean> {
  return NETWORK_FS.has((await statfs(root)).type)
}

/** register is the loadDriver hook. */
export function register(r: typeof registerDriver): void {
  r('local', openLocalPool)
}

register(registerDriver)

async function prepareRoot(value: unknown): Promise<string> {
  if (typeof value !== 'string' || value === '') throw new ConfigError('path', 'must be a directory path')
  const root = path.resolve(value)
  try {
    await makeDir(root)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR') throw new ConfigError('path', `${root} is not a directory`)
    throw new ConfigError('path', `cannot create ${root} (${code ?? String(err)})`)
  }
  await probeWrite(root)
  return root
}

/**
 * makeDir is mkdir -p, one level at a time: node's recursive mkdir never returns when a
 * directory cannot be made in a parent that exists (in /proc, say)
 */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(`${dir}: not a directory`), { code: 'ENOTDIR' })
      return
    }
    if (code !== 'ENOENT' || path.dirname(dir) === dir) throw err
    await makeDir(path.dirname(dir))
    await mkdir(dir).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e })
  }
}

/** probeWrite creates and removes a temp file in root, so a pool that cannot take blobs fails when it is opened */
async function probeWrite(root: string): Promise<void> {
  const probe = path.join(root, `${TEMP_PREFIX}probe-${process.pid}-${Date.now()}`)
  try {
    await writeFile(probe, '')
    await rm(probe, { force: true })
  } catch (err) {
    throw new ConfigError('path', `${root} is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
}

function parseFanout(value: unknown): number {
  if (value === undefined) return DEFAULT_FANOUT
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_FANOUT) {
    throw new ConfigError('fanout', `must be a whole number from 0 to ${MAX_FANOUT}`)
  }
  return value
}
