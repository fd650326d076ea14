// Several replicators on one backlog: work leases per range (lib/replicator/work-leases.ts)
// make every blob copied once, never by two replicators; a range held by a live replicator is
// left alone, and a released one is free again.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Filesystem } from '../lib/fs/filesystem'
import { PlacementStore } from '../lib/placement/placement-config'
import { ReplicationQueue } from '../lib/placement/replication-queue'
import { Replicator } from '../lib/replicator/replicator'
import { RANGES, WorkLeases, rangeOf } from '../lib/replicator/work-leases'
import { embedded } from '../fixtures/meta-engines'
import { openLocalPools, withMount, writeFiles } from '../fixtures/placed-files'

const NAMES = ['eu1', 'us1']

t.test('two replicators on one backlog copy every blob once between them', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-leases-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { store } = await embedded.start(t)
  await Filesystem.format(store, { name: 'l', pools: { eu1: { driver: 'local', path: join(dir, 'eu1') } }, blockSize: 64 * 1024 })
  await new PlacementStore(store, 'l').update(c => ({
    ...c,
    pools: [{ ...c.pools[0], site: 'eu' }, { name: 'us1', site: 'us', weight: 1, state: 'active', config: { driver: 'local', path: join(dir, 'us1') } }],
    rules: [{ path: '/', policy: { replicas: 2, sync: 1, spread: 'site' } }],
  }))
  const files = Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`f${i}`, randomBytes(70_000 + i * 1000)]))
  await withMount(store, { name: 'l' }, fs => writeFiles(fs, files))
  const backlog = (await new ReplicationQueue(store, 'l').backlog()).blobs
  t.ok(backlog >= 24, `${backlog} blobs queued for their second copy`)

  // each replicator with drivers of its own, as two processes would have
  const a = new Replicator(store, 'l', await openLocalPools(t, dir, NAMES))
  const b = new Replicator(store, 'l', await openLocalPools(t, dir, NAMES))
  const [ra, rb] = await Promise.all([a.pass(), b.pass()])
  t.equal(ra.ranges + rb.ranges, RANGES, `the ranges split ${ra.ranges} + ${rb.ranges}`)
  t.equal(ra.copies + rb.copies, backlog, `${ra.copies} + ${rb.copies} copies: every blob copied once`)
  t.equal((await new ReplicationQueue(store, 'l').backlog()).blobs, 0, 'nothing left')
  const again = await a.pass()
  t.match(again, { ranges: RANGES, copies: 0, queued: 0 }, 'the ranges are free again after both passes')
})

t.test('a range held by a live replicator is not taken; a released one is', async t => {
  const { store } = await embedded.start(t)
  const first = await WorkLeases.claim(store, 'x', 30)
  t.equal(first.held.size, RANGES, 'alone, it holds every range')
  const second = await WorkLeases.claim(store, 'x', 30)
  t.equal(second.held.size, 0, 'while the first holds them, none')
  await second.release()
  await first.release()
  const third = await WorkLeases.claim(store, 'x', 30)
  t.teardown(() => third.release())
  t.equal(third.held.size, RANGES, 'released, they are free')
  const id = 'sha256-a' + '0'.repeat(63)
  t.equal(rangeOf(id), 10)
  t.ok(third.covers(id))
})
