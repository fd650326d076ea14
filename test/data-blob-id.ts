import t from 'tap'
import { isBlobId } from '../drivers/driver'
import { blobId, matches } from '../lib/data/blob-id'

t.test('blobId is sha256- and the lowercase hex digest', async t => {
  const id = blobId(Buffer.from('abc'))
  t.equal(id, 'sha256-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.ok(isBlobId(id))
  t.ok(isBlobId(blobId(Buffer.alloc(0))))
})

t.test('matches checks content against its id', async t => {
  const id = blobId(Buffer.from('abc'))
  t.ok(matches(id, Buffer.from('abc')))
  t.notOk(matches(id, Buffer.from('abd')))
  t.notOk(matches('sha256-nonsense', Buffer.from('abc')))
})
