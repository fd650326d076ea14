import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BloomFilter } from 'bloom-filters'
import type { PoolDriver } from '../drivers/driver'
import { blobId } from '../lib/data/blob-id'
import { Filesystem } from '../lib/fs/filesystem'
import type { MetaStore } from '../lib/meta/store'
import { targets } from '../lib/placement/placement'
import { PlacementStore } from '../lib/placement/placement-config'
import { referencedBlobs } from '../lib/replicator/blob-refs'
import { PoolFilters } from '../lib/replicator/pool-filter'
import { ReplicationQueue } from '../lib/placement/replication-queue'
import { Replicator } from '../lib/replicator/replicator'
import { Throttle } from '../lib/replicator/throttle'
import { embedded } from '../fixtures/meta-engines'
import { openLocalPools, withMount, writeFiles } from '../fixtures/placed-files'

const dir = mkdtempSync(join(tmpdir(), 'meridian-replicator-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const NAMES = ['eu1', 'eu2', 'us1']
const poolDir = (name: string) => join(dir, name)
const twoBySite = { replicas: 2, sync: 1, spread: 'site' as const }

/** openAll opens the three pools afresh (a pool whose directory was removed must be reopened) */
const openAll = (t: tap.Test) => openLocalPools(t, dir, NAMES)

/** where lists, per referenced blob, the pools holding it, sorted */
async function where(store: MetaStore, drivers: Map<string, PoolDriver>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  for (const id of (await referencedBlobs(store, 'r')).keys()) {
    const held: string[] = []
    for (const [name, d] of drivers) if (await d.has(id)) held.push(name)
    out.set(id, held.sort())
  }
  return out
}

t.test('three local pools in two sites, two replicas spread by site', async t => {
  const { store } = await embedded.start(t)
  await Filesystem.format(store, { name: 'r', pools: { eu1: { driver: 'local', path: poolDir('eu1') } }, blockSize: 64 * 1024 })
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < 12; i++) files[`f${i}`] = randomBytes(100_000 + i * 1000)
  await withMount(store, { name: 'r' }, fs => writeFiles(fs, files))

  const placement = new PlacementStore(store, 'r')
  await placement.update(c => ({
    ...c,
    pools: [
      { ...c.pools[0], site: 'eu' },
      { name: 'eu2', site: 'eu', weight: 1, state: 'active', config: { driver: 'local', path: poolDir('eu2') } },
      { name: 'us1', site: 'us', weight: 1, state: 'active', config: { driver: 'local', path: poolDir('us1') } },
    ],
    rules: [{ path: '/', policy: twoBySite }],
  }))
  const config = await placement.load()
  let drivers = await openAll(t)

  const first = await new Replicator(store, 'r', drivers).pass()
  const blobs = await where(store, drivers)
  t.ok(blobs.size >= 24, `${blobs.size} blobs referenced`)
  t.equal(first.backlog.blobs, 0, 'no backlog')
  let exact = 0
  for (const [id, held] of blobs) if (held.join() === targets(id, twoBySite, config.pools).sort().join()) exact++
  t.equal(exact, blobs.size, 'every blob has exactly its two copies, on its target pools')
  t.ok(first.deletes > 0, `${first.deletes} copies left eu1 for eu2 (surplus deleted after the new copy verified)`)

  const again = await new Replicator(store, 'r', drivers).pass()
  t.match(again, { queued: 0, copies: 0, deletes: 0 }, 'a second pass finds nothing to do')

  const top = t
  t.test('a pool lost whole is refilled from the other site', async t => {
    await rm(poolDir('us1'), { recursive: true, force: true })
    drivers = await openAll(top)
    const r = await new Replicator(store, 'r', drivers).pass()
    t.equal(r.copies, [...blobs.values()].filter(h => h.includes('us1')).length, `${r.copies} copies made again`)
    t.same(await where(store, drivers), blobs, 'the same copies as before the loss')
  })

  t.test('a corrupt source copy is skipped, reported, and a good one copied', async t => {
    const [id, held] = [...blobs].find(([, h]) => h.includes('eu1'))!
    const other = held.find(p => p !== 'eu1')!
    await rm(join(poolDir(other), id.slice(7, 9), id.slice(9, 11), id))
    const ownFile = join(poolDir('eu1'), id.slice(7, 9), id.slice(9, 11), id)
    const good = await drivers.get('eu1')!.get(id)
    await writeFile(ownFile, Buffer.from('not the bytes'))
    const r = await new Replicator(store, 'r', drivers).pass()
    t.equal(r.backlog.blobs, 1, 'no good copy anywhere: it stays queued')
    t.same(r.badCopies, { eu1: 1 })
    await writeFile(ownFile, good)
    const fixed = await new Replicator(store, 'r', drivers).pass()
    t.equal(fixed.backlog.blobs, 0, 'resumed from the queue once a good copy exists')
    t.same((await where(store, drivers)).get(id), held)
  })

  t.test('an unreachable target leaves durable work that a later pass resumes', async t => {
    await placement.update(c => ({ ...c, rules: [{ path: '/', policy: { replicas: 3, sync: 1, spread: 'pool' } }] }))
    const partial = new Map(drivers)
    partial.delete('us1')
    const r = await new Replicator(store, 'r', partial).pass()
    t.ok(r.backlog.blobs > 0, `${r.backlog.blobs} blobs, ${r.backlog.bytes} bytes left queued`)
    t.same(await new ReplicationQueue(store, 'r').backlog(), r.backlog, 'the backlog is in the metadata')
    const resumed = await new Replicator(store, 'r', drivers).pass()
    t.equal(resumed.backlog.blobs, 0)
    for (const held of (await where(store, drivers)).values()) t.equal(held.length, 3)
  })

  t.test('draining a pool empties it once its blobs have their copies elsewhere', async t => {
    await placement.update(c => ({ ...c, rules: [{ path: '/', policy: { replicas: 2, sync: 1, spread: 'pool' } }] }))
    await placement.update(c => ({ ...c, pools: c.pools.map(p => (p.name === 'eu2' ? { ...p, state: 'draining' } : p)) }))
    await new Replicator(store, 'r', drivers).pass()
    const held = await where(store, drivers)
    t.ok([...held.values()].every(h => h.join() === 'eu1,us1'), 'every blob on eu1 and us1')
    const left: string[] = []
    for await (const id of drivers.get('eu2')!.list()) left.push(id)
    t.same(left, [], 'eu2 is empty')
  })

  t.test('pool filters: versioned, stored in the pool, used by the replicator', async t => {
    const filters = new PoolFilters(store, 'r')
    const v1 = await filters.scan('us1', drivers.get('us1')!)
    t.equal(v1.version, 1)
    t.ok(await drivers.get('us1')!.has(v1.blob), 'the filter is a blob in the pool itself')
    const extra = randomBytes(100)
    await drivers.get('us1')!.put(blobId(extra), extra)
    t.teardown(() => drivers.get('us1')!.delete(blobId(extra)))
    const v2 = await filters.scan('us1', drivers.get('us1')!)
    t.equal(v2.version, 2)
    t.equal(v2.items, v1.items + 1, 'the filter does not count itself')
    t.notOk(await drivers.get('us1')!.has(v1.blob), 'the old version is deleted')
    const filter = (await filters.load('us1', drivers.get('us1')!))!
    for (const id of (await where(store, drivers)).keys()) t.ok(filter.has(id), `${id.slice(0, 15)} maybe present`)
    t.match(await new Replicator(store, 'r', drivers).pass(), { queued: 0 }, 'nothing to do with the filters in place')
  })
})

t.test('bloom filter false-positive rate against its setting', async t => {
  for (const rate of [0.01, 0.001]) {
    const filter = BloomFilter.create(10_000, rate)
    for (let i = 0; i < 10_000; i++) filter.add(blobId(Buffer.from(`in ${i}`)))
    let positives = 0
    const probes = 100_000
    for (let i = 0; i < probes; i++) if (filter.has(blobId(Buffer.from(`out ${i}`)))) positives++
    const measured = positives / probes
    t.ok(measured < rate * 1.5, `setting ${rate}: measured ${measured} over ${probes} absent ids`)
  }
})

t.test('the throttle holds copies to the bandwidth (a lower bound only)', async t => {
  const throttle = new Throttle(1024 * 1024)
  const start = Date.now()
  await throttle.take(256 * 1024)
  await throttle.take(256 * 1024)
  t.ok(Date.now() - start >= 450, 'half a MiB at 1 MiB/s takes at least half a second')
})

t.test('pools directory layout untouched by the test helpers', async t => {
  t.same((await readdir(dir)).sort(), NAMES.filter(n => n !== 'eu2').concat('eu2').sort())
})
