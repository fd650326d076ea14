// meridian pool ls: every pool with its site, driver, weight and state, whether it answers,
// and how many blobs and bytes it holds, from a scan of the pool itself (its bloom filter blob
// included); bytes only from drivers that list sizes (listSizes). Driver options are shown as
// stored: they never hold credentials (docs/drivers.md).
import { Command } from 'commander'
import type { PoolConfig, PoolDriver, PoolUsage } from '../../drivers/driver'
import type { PoolSpec } from '../placement/pool-map'
import { openDrivers, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'
import { formatTable } from './table'
import { READ_ONLY } from './group'

export interface PoolRow {
  name: string
  site: string
  driver: string
  weight: number
  state: string
  reachable: boolean
  /** blobs listed in the pool; null when unreachable */
  blobs: number | null
  /** bytes they hold; null when unreachable or the driver cannot list sizes */
  bytes: number | null
  /** why the pool did not answer */
  error?: string
  /** its space, when it answered */
  usage?: PoolUsage
  config: PoolConfig
}

/** poolRows asks every pool of the map how many blobs (and bytes) it holds and how much space it has */
export async function poolRows(pools: PoolSpec[]): Promise<PoolRow[]> {
  const drivers = await openDrivers(pools)
  try {
    return await Promise.all(pools.map(async (p): Promise<PoolRow> => {
      const row = { name: p.name, site: p.site, driver: p.config.driver, weight: p.weight, state: p.state, config: p.config }
      const driver = drivers.open.get(p.name)
      if (!driver) return { ...row, reachable: false, blobs: null, bytes: null, error: drivers.failed.get(p.name) }
      try {
        return { ...row, reachable: true, ...(await held(driver)), usage: await driver.usage() }
      } catch (err) {
        return { ...row, reachable: false, blobs: null, bytes: null, error: (err as Error).message }
      }
    }))
  } finally {
    await drivers.close()
  }
}

export async function poolLs(opts: PlacementCliOptions): Promise<{ epoch: number; pools: PoolRow[] }> {
  return withPlacement(opts, async placement => {
    const config = await placement.load()
    return { epoch: config.epoch, pools: await poolRows(config.pools) }
  }, READ_ONLY)
}

/** held counts what a pool holds, listing it once */
async function held(driver: PoolDriver): Promise<{ blobs: number; bytes: number | null }> {
  let blobs = 0
  if (!driver.listSizes) {
    for await (const _ of driver.list()) blobs++
    return { blobs, bytes: null }
  }
  let bytes = 0
  for await (const b of driver.listSizes()) {
    blobs++
    bytes += b.bytes
  }
  return { blobs, bytes }
}

/** size prints bytes for people: 0, 812 B, 3.4 MiB */
function size(bytes: number | null): string {
  if (bytes === null) return '-'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let n = bytes
  let u = 0
  for (; n >= 1024 && u < units.length - 1; u++) n /= 1024
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u]}`
}

/** location is the short place a pool lives: a directory, a bucket */
function location(c: PoolConfig): string {
  if (typeof c.path === 'string') return c.path
  if (typeof c.bucket === 'string') return `${typeof c.endpoint === 'string' ? c.endpoint + '/' : ''}${c.bucket}${typeof c.prefix === 'string' ? '/' + c.prefix : ''}`
  return ''
}

export function table(rows: PoolRow[], epoch: number): string {
  const head = ['pool', 'site', 'driver', 'weight', 'state', 'reachable', 'blobs', 'bytes', 'location']
  const lines = rows.map(r => [r.name, r.site, r.driver, String(r.weight), r.state, r.reachable ? 'yes' : `no (${r.error ?? ''})`, r.blobs === null ? '-' : String(r.blobs), size(r.bytes), location(r.config)])
  return `pool map at epoch ${epoch}\n${formatTable(head, lines)}`
}

export function poolLsCommand(): Command {
  return withCommonOptions(new Command('ls'))
    .description('list the pools: site, driver, weight, state, reachable, blobs and bytes held')
    .action(async (opts: PlacementCliOptions) => {
      const r = await poolLs(opts)
      print(opts.json, r, table(r.pools, r.epoch))
    })
}
