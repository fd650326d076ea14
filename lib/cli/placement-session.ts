// What the pool and policy commands share: the --meta/--name/--json options, opening the
// store and the filesystem's placement config, and opening its pools.
import type { Command } from 'commander'
import { openPool } from '../../drivers'
import type { PoolDriver } from '../../drivers/driver'
import { ConfigError } from '../errors'
import { defaultMetaUrl, openStore, type MetaStore } from '../meta'
import { PlacementStore } from '../placement/placement-config'
import type { PoolSpec } from '../placement/pool-map'
import { DEFAULT_NAME } from './format'
import type { StoreAccess } from './group'

export interface PlacementCliOptions {
  meta?: string
  name?: string
  json?: boolean
}

/** withCommonOptions adds --meta, --name and --json to cmd */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--meta <url>', 'metadata store: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
    .option('--name <name>', `filesystem name (default: ${DEFAULT_NAME})`)
    .option('--json', 'print JSON')
}

/**
 * withPlacement opens the store and the filesystem's placement config for fn, and closes the
 * store after. The store must exist (format makes it): no command here creates one.
 */
export async function withPlacement<T>(opts: PlacementCliOptions, fn: (placement: PlacementStore, store: MetaStore) => Promise<T>, access: StoreAccess = {}): Promise<T> {
  const store = await openStore(opts.meta ?? defaultMetaUrl(), { deadlineMs: 5_000, existing: true, readOnly: access.readOnly })
  try {
    return await fn(new PlacementStore(store, opts.name ?? DEFAULT_NAME), store)
  } finally {
    await store.close()
  }
}

/** findPool is the pool named name, or a ConfigError naming the field */
export function findPool(pools: PoolSpec[], name: string, field = 'pool'): PoolSpec {
  const pool = pools.find(p => p.name === name)
  if (!pool) throw new ConfigError(field, `no pool '${name}' (pools: ${pools.map(p => p.name).join(', ')})`)
  return pool
}

/** openDriver opens a pool's driver; a failure to open becomes a ConfigError naming the pool and the field */
export async function openDriver(pool: PoolSpec): Promise<PoolDriver> {
  try {
    return await openPool(pool.config)
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`pool ${pool.name}: ${err.field}`, err.message.slice(err.field.length + 2))
    throw err
  }
}

/** openDrivers opens every pool that opens; the others are listed with the reason */
export async function openDrivers(pools: PoolSpec[]): Promise<{ open: Map<string, PoolDriver>; failed: Map<string, string>; close(): Promise<void> }> {
  const open = new Map<string, PoolDriver>()
  const failed = new Map<string, string>()
  await Promise.all(pools.map(async p => {
    try {
      open.set(p.name, await openDriver(p))
    } catch (err) {
      failed.set(p.name, (err as Error).message)
    }
  }))
  return { open, failed, close: async () => { for (const d of open.values()) await d.close() } }
}
