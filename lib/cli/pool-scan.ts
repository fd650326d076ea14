// meridian pool scan: list a pool and rebuild its bloom filter (stored in the pool, versioned).
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { progress, progressMode, type ProgressMode } from '../progress'
import { PoolFilters, type FilterRef } from '../replicator/pool-filter'
import { findPool, openDriver, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export interface PoolScanOptions extends PlacementCliOptions {
  errorRate?: string
  /** how progress shows on stderr (default: not at all) */
  progress?: ProgressMode
}

export async function poolScan(name: string, opts: PoolScanOptions): Promise<FilterRef & { pool: string }> {
  const rate = opts.errorRate === undefined ? undefined : Number(opts.errorRate)
  if (rate !== undefined && !(/^\d*\.?\d+(e-?\d+)?$/i.test(opts.errorRate!) && rate > 0 && rate < 1)) {
    throw new ConfigError('error-rate', `'${opts.errorRate}' must be a probability between 0 and 1, e.g. 0.01`)
  }
  return withPlacement(opts, async (placement, store) => {
    const driver = await openDriver(findPool((await placement.load()).pools, name, 'name'))
    // a pool's size is known only once it is listed: a count
    const listed = progress(`pool scan ${name}`, 'blobs listed', opts.progress ?? 'off')
    try {
      return { pool: name, ...(await new PoolFilters(store, placement.fsName).scan(name, driver, rate, n => listed.update(n))) }
    } finally {
      listed.stop()
      await driver.close()
    }
  })
}

export function poolScanCommand(): Command {
  return withCommonOptions(new Command('scan'))
    .description('list a pool and rebuild its bloom filter of blob ids (kept in the pool, versioned)')
    .argument('<name>', 'pool name')
    .option('--error-rate <p>', 'false-positive rate the filter is sized for (default 0.01)')
    .action(async (name: string, opts: PoolScanOptions) => {
      const r = await poolScan(name, { ...opts, progress: progressMode(opts.json) })
      print(opts.json, { ...r }, `pool '${r.pool}': filter version ${r.version} of ${r.items} blobs (false positives ~${r.errorRate}) stored as ${r.blob}`)
    })
}
