import t from 'tap'
import { isBlobId } from '../drivers/driver'
import { blobId, holds, idOf } from '../lib/data/blob-id'

t.test('blobId is sha256- and the lowercase hex digest', async t => {
  const id = blobId(Buffer.from('abc'))
  t.equal(id, 'sha256-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.ok(isBlobId(id))
  t.ok(isBlobId(blobId(Buffer.alloc(0))))
})

t.test('idOf agrees with blobId on small and large data', async t => {
  for (const data of [Buffer.from('abc'), Buffer.alloc(4 * 1024 * 1024, 7)]) t.equal(await idOf(data), blobId(data))
})

t.test('holds checks content against its id', async t => {
  const id = blobId(Buffer.from('abc'))
  t.ok(await holds(id, Buffer.from('abc')))
  t.notOk(await holds(id, Buffer.from('abd')))
  t.notOk(await holds('sha256-nonsense', Buffer.from('abc')))
  const big = Buffer.alloc(1024 * 1024, 1)
  t.ok(await holds(blobId(big), big))
  t.notOk(await holds(id, big))
})
