// Read order through the placement (lib/placement/placed-pools.ts): a blob's targets first,
// the pools of the mount's site first among them, and a pool whose bloom filter says the blob
// is surely absent only as a last resort. Counted per pool by a wrapper around each driver.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PoolDriver } from '../drivers/driver'
import { BlobStore, type Pool } from '../lib/data/blob-store'
import { blobId } from '../lib/data/blob-id'
import { Filesystem } from '../lib/fs/filesystem'
import type { MetaStore } from '../lib/meta/store'
import { openPlacedPools, type PolicyPlacement } from '../lib/placement/placed-pools'
import { PlacementStore } from '../lib/placement/placement-config'
import { PoolFilters } from '../lib/replicator/pool-filter'
import { embedded } from '../fixtures/meta-engines'

/** counted wraps a driver so that gets are counted */
function counted(driver: PoolDriver, gets: Map<string, number>, name: string): PoolDriver {
  return new Proxy(driver, {
    get(target, prop, receiver) {
      if (prop === 'get') return (...args: Parameters<PoolDriver['get']>) => { gets.set(name, (gets.get(name) ?? 0) + 1); return target.get(...args) }
      const value = Reflect.get(target, prop, receiver) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}

async function setUp(t: tap.Test): Promise<MetaStore> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-read-order-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { store } = await embedded.start(t)
  await Filesystem.format(store, { name: 'o', pools: { eu1: { driver: 'local', path: join(dir, 'eu1') } } })
  await new PlacementStore(store, 'o').update(c => ({
    ...c,
    pools: [{ ...c.pools[0], site: 'eu' }, { name: 'us1', site: 'us', weight: 1, state: 'active', config: { driver: 'local', path: join(dir, 'us1') } }],
    rules: [{ path: '/', policy: { replicas: 2, sync: 1, spread: 'site' } }],
  }))
  return store
}

/** mountAt opens the placed pools as a mount in site would, with gets counted per pool */
async function mountAt(t: tap.Test, store: MetaStore, site: string): Promise<{ blobs: BlobStore; placement: PolicyPlacement; pools: Map<string, PoolDriver>; gets: Map<string, number> }> {
  const { pools, placement } = await openPlacedPools(store, 'o', { site })
  t.teardown(async () => { for (const p of pools) await p.driver.close(); await placement.close() })
  const gets = new Map<string, number>()
  const wrapped: Pool[] = pools.map(p => ({ name: p.name, driver: counted(p.driver, gets, p.name) }))
  return { blobs: new BlobStore(wrapped, { placement }), placement, pools: new Map(pools.map(p => [p.name, p.driver])), gets }
}

t.test('a blob on both sites is read from the mount\'s own site', async t => {
  const store = await setUp(t)
  const data = randomBytes(10_000)
  const id = blobId(data)
  for (const site of ['eu', 'us']) {
    const m = await mountAt(t, store, site)
    for (const d of m.pools.values()) await d.put(id, data)
    t.ok((await m.blobs.read(id, 0, data.length)).equals(data))
    t.same(Object.fromEntries(m.gets), { [`${site}1`]: 1 }, `site ${site}: one get, from ${site}1`)
  }
})

t.test('a blob only on the far pool: tried near first without a filter, not at all when the near filter rules it out', async t => {
  const store = await setUp(t)
  const data = randomBytes(10_000)
  const id = blobId(data)
  const plain = await mountAt(t, store, 'eu')
  await plain.pools.get('us1')!.put(id, data)
  t.ok((await plain.blobs.read(id, 0, data.length)).equals(data))
  t.same(Object.fromEntries(plain.gets), { eu1: 1, us1: 1 }, 'no filter: the near pool is asked first, and misses')
  t.equal(plain.placement.filterSkips, 0)

  await new PoolFilters(store, 'o').scan('eu1', plain.pools.get('eu1')!)
  const filtered = await mountAt(t, store, 'eu')
  t.ok((await filtered.blobs.read(id, 0, data.length)).equals(data))
  t.same(Object.fromEntries(filtered.gets), { us1: 1 }, 'its filter says eu1 surely lacks it: eu1 is never asked')
  t.equal(filtered.placement.filterSkips, 1, 'the skip is counted')
})

t.test('a pool a stale filter rules out is still read as the last resort, and the mount\'s own writes are never put behind', async t => {
  const store = await setUp(t)
  const scanner = await mountAt(t, store, 'eu')
  await new PoolFilters(store, 'o').scan('eu1', scanner.pools.get('eu1')!)
  await new PoolFilters(store, 'o').scan('us1', scanner.pools.get('us1')!)
  const m = await mountAt(t, store, 'eu')
  // written after the scan, by someone else: only in eu1, missing from both filters
  const late = randomBytes(5_000)
  await m.pools.get('eu1')!.put(blobId(late), late)
  t.ok((await m.blobs.read(blobId(late), 0, late.length)).equals(late), 'found in eu1 after all')
  // written by this mount to the far pool first (sync 1): its filters learn it, so us1 is not put behind eu1
  let own = randomBytes(5_000)
  while (m.placement.targets(blobId(own)).pools[0] !== 'us1') own = randomBytes(5_000)
  const id = await m.blobs.put(own)
  m.gets.clear()
  m.blobs = new BlobStore([...m.pools].map(([name, driver]) => ({ name, driver: counted(driver, m.gets, name) })), { placement: m.placement })
  t.ok((await m.blobs.read(id, 0, own.length)).equals(own))
  t.same(Object.fromEntries(m.gets), { us1: 1 }, 'read from us1, the first pool asked')
})

t.test('a mount in a site no pool is in is refused naming the field', async t => {
  const store = await setUp(t)
  await t.rejects(openPlacedPools(store, 'o', { site: 'mars' }), { name: 'ConfigError', field: 'site', message: /no pool is in site 'mars' \(sites: eu, us\)/ })
})
