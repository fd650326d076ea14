import t from 'tap'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openPool } from '../drivers'
import type { PoolDriver } from '../drivers/driver'
import { blobId } from '../lib/data/blob-id'
import { BlobStore, type BlobStoreOptions, type Pool } from '../lib/data/blob-store'
import { ReadCache } from '../lib/data/read-cache'
import { ENOSPC } from '../lib/errors'

/** localPool opens a local pool in a fresh temp dir; both are cleaned up when t ends. */
async function localPool(t: tap.Test, name: string): Promise<Pool & { root: string }> {
  const root = await mkdtemp(path.join(tmpdir(), `meridian-data-${name}-`))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const driver = await openPool({ driver: 'local', path: root })
  t.teardown(() => driver.close())
  return { name, driver, root }
}

/** twoPools opens 'near' and 'far' and a store over them that records what it logs. */
async function twoPools(t: tap.Test, opts: BlobStoreOptions = {}) {
  const near = await localPool(t, 'near')
  const far = await localPool(t, 'far')
  const logged: Array<{ msg: string; ctx: object }> = []
  const store = new BlobStore([near, far], { log: (msg, ctx) => logged.push({ msg, ctx }), ...opts })
  t.teardown(() => store.close())
  return { near, far, store, logged }
}

/** blobFile finds where a local pool keeps blob id. */
async function blobFile(root: string, id: string): Promise<string> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  const entry = entries.find(e => e.isFile() && e.name === id)
  if (!entry) throw new Error(`${id} not under ${root}`)
  return path.join(entry.parentPath, entry.name)
}

/** refusingPuts wraps a driver so every put fails as a full pool would. */
function refusingPuts(driver: PoolDriver): PoolDriver {
  return new Proxy(driver, {
    get: (target, prop, receiver) =>
      prop === 'put' ? async () => { throw ENOSPC('pool full') } : Reflect.get(target, prop, receiver),
  })
}

/** countingGets wraps a driver and counts its gets. */
function countingGets(driver: PoolDriver): { driver: PoolDriver; gets: () => number } {
  let gets = 0
  const counted = new Proxy(driver, {
    get: (target, prop, receiver) =>
      prop === 'get'
        ? (...args: Parameters<PoolDriver['get']>) => (gets++, target.get(...args))
        : Reflect.get(target, prop, receiver),
  })
  return { driver: counted, gets: () => gets }
}

t.test('put returns the content id and read returns the bytes', async t => {
  const { store } = await twoPools(t)
  const data = Buffer.from('hello, meridian')
  const id = await store.put(data)
  t.equal(id, blobId(data))
  t.equal((await store.read(id, 0, data.length)).toString(), 'hello, meridian')
  t.equal((await store.read(id, 7, 8)).toString(), 'meridian')
  t.equal((await store.read(id, 7, 100)).toString(), 'meridian', 'a range past the end is short')
  t.equal((await store.read(id, 50, 10)).length, 0)
})

t.test('copies=1 writes the nearest pool only', async t => {
  const { near, far, store } = await twoPools(t)
  const id = await store.put(Buffer.from('one copy'))
  t.ok(await near.driver.has(id))
  t.notOk(await far.driver.has(id))
  t.ok(await store.has(id))
  t.notOk(await store.has(blobId(Buffer.from('never stored'))))
})

t.test('copies=2 writes both pools', async t => {
  const { near, far, store } = await twoPools(t, { copies: 2 })
  const id = await store.put(Buffer.from('two copies'))
  t.ok(await near.driver.has(id))
  t.ok(await far.driver.has(id))
})

t.test('copies is capped at the number of pools', async t => {
  const { near, far, store } = await twoPools(t, { copies: 5 })
  const id = await store.put(Buffer.from('as many as there are'))
  t.ok(await near.driver.has(id))
  t.ok(await far.driver.has(id))
})

t.test('a put moves on to the next pool when one refuses', async t => {
  const near = await localPool(t, 'near')
  const mid = await localPool(t, 'mid')
  const far = await localPool(t, 'far')
  const logged: string[] = []
  const store = new BlobStore([{ name: 'near', driver: refusingPuts(near.driver) }, mid, far], {
    copies: 2,
    log: msg => logged.push(msg),
  })
  t.teardown(() => store.close())
  const id = await store.put(Buffer.from('around a full pool'))
  t.notOk(await near.driver.has(id))
  t.ok(await mid.driver.has(id))
  t.ok(await far.driver.has(id))
  t.same(logged, ['put failed'])
})

t.test('a put that reaches too few pools fails naming the id, with the errno of the pools that refused (all full: ENOSPC)', async t => {
  const near = await localPool(t, 'near')
  const far = await localPool(t, 'far')
  const store = new BlobStore([{ name: 'near', driver: refusingPuts(near.driver) }, far], { copies: 2 })
  t.teardown(() => store.close())
  const data = Buffer.from('nowhere enough')
  await t.rejects(store.put(data), { code: 'ENOSPC', message: new RegExp(blobId(data)) })
})

t.test('a corrupt copy is reported and the next pool serves the read', async t => {
  const { near, far, store, logged } = await twoPools(t, { copies: 2 })
  const id = await store.put(Buffer.from('the real bytes'))
  await writeFile(await blobFile(near.root, id), 'rotten bytes!!')
  t.equal((await store.read(id, 0, 100)).toString(), 'the real bytes')
  t.same(store.badCopies, [{ pool: 'near', id, problem: 'corrupt' }])
  t.same(logged, [{ msg: 'bad copy', ctx: { pool: 'near', id, problem: 'corrupt' } }])
  t.ok(await far.driver.has(id))
})

t.test('a missing copy is reported and the next pool serves the read', async t => {
  const { near, store } = await twoPools(t, { copies: 2 })
  const id = await store.put(Buffer.from('still in the far pool'))
  await near.driver.delete(id)
  t.equal((await store.read(id, 9, 12)).toString(), 'the far pool')
  t.same(store.badCopies, [{ pool: 'near', id, problem: 'missing' }])
})

t.test('a bad copy is listed once however often it is read', async t => {
  const { near, store } = await twoPools(t, { copies: 2 })
  const id = await store.put(Buffer.from('read twice'))
  await near.driver.delete(id)
  await store.read(id, 0, 4)
  await store.read(id, 0, 4)
  t.equal(store.badCopies.length, 1)
})

t.test('no good copy anywhere is EIO naming the id', async t => {
  const { near, far, store } = await twoPools(t, { copies: 2 })
  const id = await store.put(Buffer.from('lost everywhere'))
  await near.driver.delete(id)
  await writeFile(await blobFile(far.root, id), 'garbage')
  await t.rejects(store.read(id, 0, 1), { code: 'EIO', message: new RegExp(id) })
  t.same(store.badCopies, [
    { pool: 'near', id, problem: 'missing' },
    { pool: 'far', id, problem: 'corrupt' },
  ])
  const never = blobId(Buffer.from('never written'))
  await t.rejects(store.read(never, 0, 1), { code: 'EIO', message: new RegExp(never) })
})

t.test('the cache serves reads once a blob is put or verified', async t => {
  const cache = new ReadCache({ maxBytes: 1024 })
  const { near, far, store } = await twoPools(t, { cache })
  const putId = await store.put(Buffer.from('cached by put'))
  await near.driver.delete(putId)
  t.equal((await store.read(putId, 0, 6)).toString(), 'cached')

  const data = Buffer.from('cached by read')
  const readId = blobId(data)
  await far.driver.put(readId, data)
  await store.read(readId, 0, 1)
  await far.driver.delete(readId)
  t.equal((await store.read(readId, 10, 4)).toString(), 'read')
  t.equal(cache.bytes, 'cached by put'.length + data.length)
})

t.test('concurrent reads of one blob share a single fetch', async t => {
  const near = await localPool(t, 'near')
  const counted = countingGets(near.driver)
  const store = new BlobStore([{ name: 'near', driver: counted.driver }])
  t.teardown(() => store.close())
  const id = await store.put(Buffer.from('0123456789'))
  const reads = await Promise.all([0, 2, 4, 6, 8].map(off => store.read(id, off, 2)))
  t.same(reads.map(r => r.toString()), ['01', '23', '45', '67', '89'])
  t.equal(counted.gets(), 1)
})

t.test('close is idempotent, leaves the pools open and stops the store', async t => {
  const { near, store } = await twoPools(t)
  const id = await store.put(Buffer.from('before close'))
  await store.close()
  await store.close()
  t.ok(await near.driver.has(id), 'the pool still works')
  await t.rejects(store.put(Buffer.from('after')), { code: 'EIO' })
  await t.rejects(store.read(id, 0, 1), { code: 'EIO' })
})

t.test('a store needs a pool', async t => {
  t.throws(() => new BlobStore([]), { name: 'ConfigError', field: 'pools' })
})
