import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { constants } from 'node:fs'
import { blobId } from '../lib/data/blob-id'
import { ROOT_INO } from '../lib/fs/schema'
import { ROOT } from '../lib/fs/types'
import { Filesystem } from '../lib/fs/filesystem'
import type { MetaStore } from '../lib/meta/store'
import { targets } from '../lib/placement/placement'
import { PlacementStore } from '../lib/placement/placement-config'
import type { Policy } from '../lib/placement/policy'
import { ReplicationQueue } from '../lib/placement/replication-queue'
import { referencedBlobs } from '../lib/replicator/blob-refs'
import { Replicator } from '../lib/replicator/replicator'
import { embedded } from '../fixtures/meta-engines'
import { openLocalPools, readFiles, withMount, writeFiles } from '../fixtures/placed-files'

const NAMES = ['eu1', 'eu2', 'us1']

async function setUp(t: tap.Test, policy: Policy): Promise<{ store: MetaStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-placed-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { store } = await embedded.start(t)
  await Filesystem.format(store, { name: 'w', pools: { eu1: { driver: 'local', path: join(dir, 'eu1') } }, blockSize: 64 * 1024 })
  await new PlacementStore(store, 'w').update(c => ({
    ...c,
    pools: [
      { ...c.pools[0], site: 'eu' },
      { name: 'eu2', site: 'eu', weight: 1, state: 'active', config: { driver: 'local', path: join(dir, 'eu2') } },
      { name: 'us1', site: 'us', weight: 1, state: 'active', config: { driver: 'local', path: join(dir, 'us1') } },
    ],
    rules: [{ path: '/', policy }],
  }))
  return { store, dir }
}

const placed = { name: 'w' }

async function holders(t: tap.Test, store: MetaStore, dir: string): Promise<Map<string, string[]>> {
  const drivers = await openLocalPools(t, dir, NAMES)
  const out = new Map<string, string[]>()
  for (const id of (await referencedBlobs(store, 'w')).keys()) {
    const held: string[] = []
    for (const [n, d] of drivers) if (await d.has(id)) held.push(n)
    out.set(id, held)
  }
  return out
}

const someFiles = () => Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, randomBytes(90_000 + i * 7_000)]))

t.test('sync 1 of 2: the first target before the commit, the second queued, the replicator finishes', async t => {
  const policy: Policy = { replicas: 2, sync: 1, spread: 'site' }
  const { store, dir } = await setUp(t, policy)
  const files = someFiles()
  await withMount(store, placed, fs => writeFiles(fs, files))
  const pools = (await new PlacementStore(store, 'w').load()).pools
  const held = await holders(t, store, dir)
  t.ok(held.size >= 16, `${held.size} blobs`)
  for (const [id, at] of held) t.same(at, [targets(id, policy, pools)[0]], `${id.slice(0, 15)} is on its first target only`)
  const queue = new ReplicationQueue(store, 'w')
  t.equal((await queue.backlog()).blobs, held.size, 'every blob is queued for its second copy')

  const drivers = await openLocalPools(t, dir, NAMES)
  const r = await new Replicator(store, 'w', drivers).pass()
  t.match(r, { copies: held.size, deletes: 0, backlog: { blobs: 0 } })
  for (const [id, at] of await holders(t, store, dir)) t.same(at.sort(), targets(id, policy, pools).sort())

  t.same(await withMount(store, placed, fs => readFiles(fs, Object.keys(files))), Object.values(files), 'every file reads back')
  await rm(join(dir, 'us1'), { recursive: true, force: true })
  t.same(await withMount(store, placed, fs => readFiles(fs, Object.keys(files))), Object.values(files), 'and with one site\'s pool lost whole')
})

t.test('sync 2 of 2: both copies before the commit, nothing queued', async t => {
  const policy: Policy = { replicas: 2, sync: 2, spread: 'site' }
  const { store, dir } = await setUp(t, policy)
  await withMount(store, placed, fs => writeFiles(fs, someFiles()))
  const pools = (await new PlacementStore(store, 'w').load()).pools
  for (const [id, at] of await holders(t, store, dir)) t.same(at.sort(), targets(id, policy, pools).sort())
  t.equal((await new ReplicationQueue(store, 'w').backlog()).blobs, 0)
})

t.test('a failing target is stood in for by another pool, and the blob queued to be moved', async t => {
  const policy: Policy = { replicas: 1, sync: 1, spread: 'pool' }
  const { store, dir } = await setUp(t, policy)
  const files = someFiles()
  await withMount(store, placed, async fs => {
    // us1 opened fine; now a file stands where its directory was, so every put to it fails
    await rm(join(dir, 'us1'), { recursive: true, force: true })
    writeFileSync(join(dir, 'us1'), 'not a directory')
    await writeFiles(fs, files)
  })
  rmSync(join(dir, 'us1'))
  const pools = (await new PlacementStore(store, 'w').load()).pools
  const queued = new Set((await new ReplicationQueue(store, 'w').list()).map(e => e.id))
  let stoodIn = 0
  for (const [id, at] of await holders(t, store, dir)) {
    const [target] = targets(id, policy, pools)
    if (target === 'us1') {
      stoodIn++
      t.ok(at.length === 1 && at[0] !== 'us1' && queued.has(id), `${id.slice(0, 15)} is on ${at.join()} and queued`)
    } else t.ok(at.join() === target && !queued.has(id), `${id.slice(0, 15)} is on its target ${target}, not queued`)
  }
  t.ok(stoodIn > 0, `${stoodIn} blobs had us1 as their target`)
  t.same(await withMount(store, placed, fs => readFiles(fs, Object.keys(files))), Object.values(files))
})

t.test('a copy found corrupt on read is served from another copy, reported, and replaced by the replicator', async t => {
  const policy: Policy = { replicas: 2, sync: 2, spread: 'site' }
  const { store, dir } = await setUp(t, policy)
  const files = someFiles()
  await withMount(store, placed, fs => writeFiles(fs, files))
  const pools = (await new PlacementStore(store, 'w').load()).pools
  const [id] = [...(await referencedBlobs(store, 'w')).keys()]
  const first = targets(id, policy, pools)[0]
  const file = join(dir, first, id.slice(7, 9), id.slice(9, 11), id)
  writeFileSync(file, 'rotten bits')
  t.same(await withMount(store, placed, fs => readFiles(fs, Object.keys(files))), Object.values(files), 'every file reads right')
  const queued = await new ReplicationQueue(store, 'w').list()
  t.match(queued, [{ id, suspect: [first] }], 'the bad copy is queued for repair, naming its pool')
  const drivers = await openLocalPools(t, dir, NAMES)
  const r = await new Replicator(store, 'w', drivers).pass()
  t.match(r, { copies: 1, badCopies: { [first]: 1 }, backlog: { blobs: 0 } })
  t.equal(blobId(await drivers.get(first)!.get(id)), id, 'the copy is good again')
})

t.test('per-path policy at write time: each file\'s blocks go to its own path\'s targets before the commit, nothing queued', async t => {
  const { store, dir } = await setUp(t, { replicas: 1, sync: 1, spread: 'pool', pools: ['eu1'] })
  // /us/... lives in us1 only, two levels deep to show the longest prefix wins over /us
  await new PlacementStore(store, 'w').update(c => ({
    ...c,
    rules: [...c.rules, { path: '/us', policy: { replicas: 1, sync: 1, spread: 'pool', pools: ['us1'] } }, { path: '/us/both', policy: { replicas: 2, sync: 2, spread: 'site' } }],
  }))
  const data = { root: randomBytes(200_000), us: randomBytes(200_000), both: randomBytes(150_000), reopened: randomBytes(120_000) }
  const blobsOf = async (path: string) => {
    const refs = await referencedBlobs(store, 'w')
    return [...refs].filter(([, r]) => r.paths.includes(path)).map(([id]) => id)
  }
  await withMount(store, placed, async fs => {
    const us = await fs.mkdir(ROOT_INO, 'us', 0o755, ROOT)
    const both = await fs.mkdir(us.ino, 'both', 0o755, ROOT)
    const write = async (parent: number, name: string, bytes: Buffer) => {
      const { fh } = await fs.create(parent, name, 0o644, constants.O_RDWR, ROOT)
      await fs.write(fh, 0, bytes)
      await fs.release(fh)
    }
    await write(ROOT_INO, 'g', data.root)
    await write(us.ino, 'f', data.us)
    await write(both.ino, 'b', data.both)
    await write(us.ino, 'r', Buffer.alloc(0))
  })
  // a file that exists already, reached the way the kernel does: lookups from the root, then open
  await withMount(store, placed, async fs => {
    const us = await fs.lookup(ROOT_INO, 'us')
    const r = await fs.lookup(us.ino, 'r')
    const fh = await fs.open(r.ino, constants.O_RDWR, ROOT)
    await fs.write(fh, 0, data.reopened)
    await fs.release(fh)
  })
  const drivers = await openLocalPools(t, dir, NAMES)
  const where = async (id: string) => { const at: string[] = []; for (const [n, d] of drivers) if (await d.has(id)) at.push(n); return at.sort() }
  const pools = (await new PlacementStore(store, 'w').load()).pools
  for (const [path, want] of [['/g', () => ['eu1']], ['/us/f', () => ['us1']], ['/us/r', () => ['us1']]] as const) {
    const ids = await blobsOf(path)
    t.ok(ids.length >= 2, `${path}: ${ids.length} blobs`)
    for (const id of ids) t.same(await where(id), want(), `${path}: ${id.slice(0, 15)} on ${want().join()}`)
  }
  for (const id of await blobsOf('/us/both/b')) {
    t.same(await where(id), targets(id, { replicas: 2, sync: 2, spread: 'site' }, pools).sort(), `/us/both/b: ${id.slice(0, 15)} on both its targets (one per site) before the commit`)
  }
  t.equal((await new ReplicationQueue(store, 'w').backlog()).blobs, 0, 'nothing was queued: every block was written where its path wants it')
  const again = await new Replicator(store, 'w', drivers).pass()
  t.match(again, { queued: 0, copies: 0, deletes: 0 }, 'the replicator finds nothing to move')
})

t.test('a policy set while a mount runs applies to the blocks it writes next', async t => {
  const { store, dir } = await setUp(t, { replicas: 1, sync: 1, spread: 'pool', pools: ['eu1'] })
  const drivers = await openLocalPools(t, dir, NAMES)
  const holdersOf = async (id: string) => { const at: string[] = []; for (const [n, d] of drivers) if (await d.has(id)) at.push(n); return at }
  const blobsOf = async (path: string) => [...(await referencedBlobs(store, 'w'))].filter(([, r]) => r.paths.includes(path)).map(([id]) => id)
  await withMount(store, placed, async fs => {
    const a = await fs.mkdir(ROOT_INO, 'a', 0o755, ROOT)
    const write = async (name: string) => {
      const { fh } = await fs.create(a.ino, name, 0o644, constants.O_RDWR, ROOT)
      await fs.write(fh, 0, randomBytes(100_000))
      await fs.release(fh)
      return blobsOf(`/a/${name}`)
    }
    const before = await write('before')
    for (const id of before) t.same(await holdersOf(id), ['eu1'], 'before: on eu1')
    await new PlacementStore(store, 'w').update(c => ({ ...c, rules: [...c.rules, { path: '/a', policy: { replicas: 1, sync: 1, spread: 'pool', pools: ['us1'] } }] }))
    // the mount learns of the change through its watch of the placement epoch
    let moved = false
    for (let n = 0; n < 40 && !moved; n++) {
      const ids = await write(`after-${n}`)
      moved = (await Promise.all(ids.map(holdersOf))).every(at => at.join() === 'us1')
      if (!moved) await new Promise(resolve => setTimeout(resolve, 250))
    }
    t.ok(moved, 'a file written after the change is on us1, where the new /a policy says')
  })
})
