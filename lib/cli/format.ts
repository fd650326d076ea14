// meridian format: write the settings and the root directory of a new filesystem.
import { Command } from 'commander'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { openPool } from '../../drivers'
import type { PoolConfig } from '../../drivers/driver'
import { ConfigError } from '../errors'
import { Filesystem } from '../fs/filesystem'
import { checkFormat } from '../fs/format'
import { defaultMetaUrl, openStore, type MetaStore } from '../meta'
import { probeWrites } from './pool-probe'
import { print } from './run'

/** the filesystem name when none is given (lib/fs opens this one by default too) */
export const DEFAULT_NAME = 'meridian'

/** where a one-machine user's store, pool and logs live: ~/.meridian, or $MERIDIAN_HOME */
export function meridianHome(): string {
  return process.env.MERIDIAN_HOME ?? join(homedir(), '.meridian')
}

/** the pools of the zero-setup default: one local pool under the home */
export function defaultPools(): Record<string, PoolConfig> {
  return { local: { driver: 'local', path: join(meridianHome(), 'pool') } }
}

export interface FormatOptions {
  meta?: string
  name?: string
  /** e.g. 4M, 512K, 1048576 */
  blockSize?: string
  /** name=local:/path, repeatable */
  pool?: string[]
  json?: boolean
}

export interface FormatReport {
  meta: string
  name: string
  blockSize: number
  pools: Record<string, PoolConfig>
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }

/** parseSize reads 4M, 4MiB, 512k, 4096 as bytes; field names the option in errors */
export function parseSize(field: string, text: string): number {
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim())
  if (!m) throw new ConfigError(field, `'${text}' is not a size (e.g. 4M, 512K, 4096)`)
  return Number(m[1]) * UNITS[m[2].toUpperCase()]
}

/** parsePool reads name=local:/path */
export function parsePool(spec: string): [string, PoolConfig] {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=([a-z0-9-]+):(.+)$/.exec(spec)
  if (!m) throw new ConfigError('pool', `'${spec}' is not name=driver:location (e.g. fast=local:/srv/pool)`)
  const [, name, driver, location] = m
  if (driver !== 'local') throw new ConfigError('pool', `'${spec}': only local:/path pools can be given on the command line`)
  if (!isAbsolute(location) && !location.startsWith('.')) throw new ConfigError('pool', `'${spec}': the path must be absolute or start with ./`)
  return [name, { driver, path: resolve(location) }]
}

export function parsePools(specs: string[] | undefined): Record<string, PoolConfig> {
  if (!specs || specs.length === 0) return defaultPools()
  const pools: Record<string, PoolConfig> = {}
  for (const spec of specs) {
    const [name, config] = parsePool(spec)
    if (pools[name]) throw new ConfigError('pool', `pool '${name}' is given twice`)
    pools[name] = config
  }
  return pools
}

/** checkPools opens and closes every pool once, so a bad one fails here and not at mount */
async function checkPools(pools: Record<string, PoolConfig>): Promise<void> {
  for (const [name, config] of Object.entries(pools)) {
    const driver = await openPool(config).catch((err: unknown) => {
      throw err instanceof ConfigError ? new ConfigError(`pool ${name}`, err.message) : err
    })
    try {
      await probeWrites(name, driver)
    } finally {
      await driver.close()
    }
  }
}

/** formatStore formats a filesystem in an open store (also used by `mount` on first use). */
export async function formatStore(store: MetaStore, opts: { name: string; blockSize?: number; pools: Record<string, PoolConfig> }): Promise<void> {
  await checkFormat(store, opts) // the name and block size before the pools, which the probe writes to
  await checkPools(opts.pools)
  await Filesystem.format(store, opts)
}

export async function format(opts: FormatOptions): Promise<FormatReport> {
  const meta = opts.meta ?? defaultMetaUrl()
  const name = opts.name ?? DEFAULT_NAME
  const blockSize = opts.blockSize === undefined ? 4 * 1024 ** 2 : parseSize('block-size', opts.blockSize)
  const pools = parsePools(opts.pool)
  const store = await openStore(meta, { deadlineMs: 5_000 })
  try {
    await formatStore(store, { name, blockSize, pools })
  } finally {
    await store.close()
  }
  return { meta, name, blockSize, pools }
}

const collect = (value: string, previous: string[] = []) => [...previous, value]

export function formatCommand(): Command {
  return new Command('format')
    .description('create a new filesystem: its settings and root directory (default: the embedded store and one local pool under ~/.meridian)')
    .option('--meta <url>', 'metadata store: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
    .option('--name <name>', `filesystem name (default: ${DEFAULT_NAME})`)
    .option('--block-size <size>', 'data block size, a power of two from 4K to 64M (default: 4M)')
    .option('--pool <name=local:/path>', 'a pool, repeatable (default: local=local:~/.meridian/pool)', collect)
    .option('--json', 'print JSON')
    .action(async (opts: FormatOptions) => {
      const r = await format(opts)
      const pools = Object.entries(r.pools).map(([n, c]) => `${n}=${c.driver}:${String(c.path)}`).join(', ')
      print(opts.json, { ...r }, `formatted '${r.name}' in ${r.meta}: block size ${r.blockSize} bytes, pools ${pools}`)
    })
}
