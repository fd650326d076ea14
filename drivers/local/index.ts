// The 'local' driver: a pool that is a directory on a mounted filesystem.
// Config: { driver: 'local', path: string, fanout?: number }
//   path    the pool root; created (mkdir -p) when missing
//   fanout  how many levels of 256 shard directories nest above the blobs (default 2).
//           It fixes where blobs live: reopen a pool with the fanout it was created with.
import { rm, stat, statfs, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ConfigError } from '../../lib/errors'
import type { DriverFactory, PoolConfig } from '../driver'
import { registerDriver } from '../registry'
import { makeDirs, TEMP_PREFIX } from './atomic-write'
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
    makeDirs(root)
    if (!(await stat(root)).isDirectory()) throw Object.assign(new Error(`${root}: not a directory`), { code: 'ENOTDIR' })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR') throw new ConfigError('path', `${root} is not a directory`)
    throw new ConfigError('path', `cannot create ${root} (${code ?? String(err)})`)
  }
  await probeWrite(root)
  return root
}

/**
 * probeWrite creates and removes a temp file in root, so that a directory that can never hold
 * a file (in /proc, say: node's mkdir -p of shard directories there would never return) fails
 * when it is opened. A read-only or forbidden one still opens: its blobs can be read (a pool
 * remounted read-only after errors), and puts fail with EROFS or EACCES for the blob store to
 * pass on; `pool add` and `format` refuse it by writing a probe blob (lib/cli/placement-session.ts).
 */
async function probeWrite(root: string): Promise<void> {
  const probe = path.join(root, `${TEMP_PREFIX}probe-${process.pid}-${Date.now()}`)
  try {
    await writeFile(probe, '')
    await rm(probe, { force: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EDQUOT') return
    throw new ConfigError('path', `${root} cannot hold files (${code ?? String(err)})`)
  }
}

function parseFanout(value: unknown): number {
  if (value === undefined) return DEFAULT_FANOUT
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_FANOUT) {
    throw new ConfigError('fanout', `must be a whole number from 0 to ${MAX_FANOUT}`)
  }
  return value
}
