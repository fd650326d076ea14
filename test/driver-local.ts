import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openPool } from '../drivers'
import type { PoolDriver } from '../drivers/driver'
import { LocalPool } from '../drivers/local/local-pool'
import { driverContract } from '../fixtures/driver-contract'

const blobId = (data: Buffer) => 'sha256-' + createHash('sha256').update(data).digest('hex')

/** tempDir makes a directory that is removed when t ends. */
async function tempDir(t: tap.Test): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'meridian-local-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function openLocal(t: tap.Test, root: string, fanout?: number): Promise<PoolDriver> {
  const driver = await openPool({ driver: 'local', path: root, fanout })
  t.teardown(() => driver.close())
  return driver
}

async function listed(driver: PoolDriver): Promise<string[]> {
  const ids: string[] = []
  for await (const id of driver.list()) ids.push(id)
  return ids
}

/** filesUnder lists every file below dir, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(e => e.isFile()).map(e => path.relative(dir, path.join(e.parentPath, e.name)))
}

t.test('the contract on a fresh directory', async t => {
  const root = path.join(await tempDir(t), 'pool')
  driverContract(t, 'local', () => openPool({ driver: 'local', path: root }))
})

t.test('the contract with every write through the thread pool (as on a network filesystem)', async t => {
  const root = await tempDir(t)
  driverContract(t, 'local, no synchronous writes', async () => new LocalPool(root, 2, false))
})

t.test('blobs land in two levels of shard directories', async t => {
  const root = await tempDir(t)
  const driver = await openLocal(t, root)
  const data = Buffer.from('sharded')
  const id = blobId(data)
  await driver.put(id, data)
  t.same(await filesUnder(root), [path.join(id.slice(7, 9), id.slice(9, 11), id)])
})

t.test('fanout sets the number of shard levels', async t => {
  const root = await tempDir(t)
  const driver = await openLocal(t, root, 0)
  const data = Buffer.from('flat')
  const id = blobId(data)
  await driver.put(id, data)
  t.same(await filesUnder(root), [id])
  t.same(await listed(driver), [id])
})

t.test('a put leaves no temp files behind', async t => {
  const root = await tempDir(t)
  const driver = await openLocal(t, root)
  const blobs = ['a', 'b', 'c'].map(s => Buffer.from(s))
  await Promise.all(blobs.map(data => driver.put(blobId(data), data)))
  const files = await filesUnder(root)
  t.same(files.map(f => path.basename(f)).sort(), blobs.map(blobId).sort())
})

t.test('a temp file left by a crash is not listed', async t => {
  const root = await tempDir(t)
  const driver = await openLocal(t, root)
  const data = Buffer.from('survivor')
  const id = blobId(data)
  await driver.put(id, data)
  const shard = path.join(root, id.slice(7, 9), id.slice(9, 11))
  await writeFile(path.join(shard, '.tmp-deadbeef'), 'half a blob')
  t.same(await listed(driver), [id])
})

t.test('escaping ids write nothing outside the pool', async t => {
  const outer = await tempDir(t)
  const driver = await openLocal(t, path.join(outer, 'pool'))
  for (const id of ['../x', `sha256-../${'0'.repeat(61)}`, '../../x']) {
    await t.rejects(driver.put(id, Buffer.from('x')), { code: 'EINVAL' })
  }
  t.same(await readdir(outer, { recursive: true }), ['pool'])
})

t.test('a missing blob error names the id', async t => {
  const driver = await openLocal(t, await tempDir(t))
  const id = blobId(Buffer.from('never stored'))
  await t.rejects(driver.get(id), { code: 'ENOENT', message: new RegExp(id) })
})

t.test('calls after close fail with EIO', async t => {
  const driver = await openLocal(t, await tempDir(t))
  await driver.close()
  await t.rejects(driver.usage(), { code: 'EIO' })
  await t.rejects(driver.list()[Symbol.asyncIterator]().next(), { code: 'EIO' })
})

t.test('a path that is not a directory is a config error', async t => {
  const file = path.join(await tempDir(t), 'file')
  await writeFile(file, '')
  await t.rejects(openPool({ driver: 'local', path: file }), { name: 'ConfigError', field: 'path' })
  await t.rejects(openPool({ driver: 'local', path: path.join(file, 'below') }), { name: 'ConfigError', field: 'path' })
})

t.test('a missing root is created', async t => {
  const root = path.join(await tempDir(t), 'a', 'b')
  const driver = await openLocal(t, root)
  t.same(await listed(driver), [])
})
