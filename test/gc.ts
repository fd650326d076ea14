import t from 'tap'
import { randomBytes } from 'node:crypto'
import { constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { blobId } from '../lib/data/blob-id'
import { Filesystem } from '../lib/fs/filesystem'
import { ROOT_INO } from '../lib/fs/schema'
import { ROOT } from '../lib/fs/types'
import { ReplicationQueue } from '../lib/placement/replication-queue'
import { referencedBlobs } from '../lib/replicator/blob-refs'
import { collectGarbage } from '../lib/replicator/gc'
import { PoolFilters } from '../lib/replicator/pool-filter'
import { embedded } from '../fixtures/meta-engines'
import { openLocalPools, withMount, writeFiles } from '../fixtures/placed-files'

t.test('gc deletes unreferenced blobs after the grace period, and nothing else', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-gc-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { store } = await embedded.start(t)
  await Filesystem.format(store, { name: 'g', pools: { a: { driver: 'local', path: join(dir, 'a') } } })
  await withMount(store, { name: 'g' }, fs => writeFiles(fs, { f0: randomBytes(1000), f1: randomBytes(2000) }))
  const drivers = await openLocalPools(t, dir, ['a', 'b'])
  const orphan = randomBytes(300)
  const inFlight = randomBytes(400)
  for (const data of [orphan, inFlight]) await drivers.get('a')!.put(blobId(data), data)
  await drivers.get('b')!.put(blobId(orphan), orphan)
  await new ReplicationQueue(store, 'g').add([{ id: blobId(inFlight), bytes: 400 }])
  const filter = await new PoolFilters(store, 'g').scan('a', drivers.get('a')!)

  const first = await collectGarbage(store, 'g', drivers, { graceMs: 0 })
  t.match(first, { unreferenced: 1, recorded: 1, deleted: 0 }, 'a first sighting only records the orphan')
  const dry = await collectGarbage(store, 'g', drivers, { graceMs: 0, dryRun: true })
  t.match(dry, { deleted: 1, copies: 2, dryRun: true })
  t.ok(await drivers.get('a')!.has(blobId(orphan)), 'a dry run deletes nothing')
  const waiting = await collectGarbage(store, 'g', drivers, { graceMs: 3_600_000 })
  t.match(waiting, { deleted: 0, recorded: 0 }, 'within the grace period nothing goes')
  const second = await collectGarbage(store, 'g', drivers, { graceMs: 0 })
  t.match(second, { deleted: 1, copies: 2 })
  t.notOk(await drivers.get('a')!.has(blobId(orphan)), 'the orphan is gone from a')
  t.notOk(await drivers.get('b')!.has(blobId(orphan)), 'and from b')
  t.ok(await drivers.get('a')!.has(blobId(inFlight)), 'a queued blob is kept')
  t.ok(await drivers.get('a')!.has(filter.blob), 'the bloom filter blob is kept')
  for (const id of (await referencedBlobs(store, 'g')).keys()) t.ok(await drivers.get('a')!.has(id), `referenced ${id.slice(0, 15)} kept`)
  t.same((await store.range('fs/g/placement/gc/')).kvs.length, 0, 'no record left')
})

t.test('a file unlinked while open keeps its blobs until its last close', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-gc-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { store } = await embedded.start(t)
  await Filesystem.format(store, { name: 'u', pools: { a: { driver: 'local', path: join(dir, 'a') } } })
  const drivers = await openLocalPools(t, dir, ['a'])
  const data = randomBytes(5000)
  await withMount(store, { name: 'u' }, async fs => {
    await writeFiles(fs, { f: data })
    const attr = await fs.lookup(ROOT_INO, 'f')
    const fh = await fs.open(attr.ino, constants.O_RDONLY, ROOT)
    await fs.unlink(ROOT_INO, 'f', ROOT)
    t.equal((await store.range('fs/u/gone/')).kvs.length, 1, 'only its gone/ marker keeps it')
    await collectGarbage(store, 'u', drivers, { graceMs: 0 })
    const r = await collectGarbage(store, 'u', drivers, { graceMs: 0 })
    t.match(r, { unreferenced: 0, deleted: 0 }, 'the open file\'s blob is still referenced')
    t.same(await fs.read(fh, 0, 5000), data, 'and still reads')
    await fs.release(fh)
  })
})
