import t from 'tap'
import { READ_CACHE_BYTES, ReadCache } from '../lib/data/read-cache'

t.test('get, set and delete', async t => {
  const cache = new ReadCache()
  t.equal(cache.maxBytes, READ_CACHE_BYTES)
  t.equal(cache.get('a'), undefined)
  cache.set('a', Buffer.from('abc'))
  t.equal(cache.get('a')?.toString(), 'abc')
  t.equal(cache.bytes, 3)
  cache.delete('a')
  t.equal(cache.get('a'), undefined)
  t.equal(cache.bytes, 0)
})

t.test('the least recently used blobs go first when bytes run out', async t => {
  const cache = new ReadCache({ maxBytes: 10 })
  cache.set('a', Buffer.alloc(4))
  cache.set('b', Buffer.alloc(4))
  cache.get('a')
  cache.set('c', Buffer.alloc(4))
  t.ok(cache.get('a'))
  t.equal(cache.get('b'), undefined)
  t.ok(cache.get('c'))
  t.equal(cache.bytes, 8)
})

t.test('a blob larger than the cache is not cached', async t => {
  const cache = new ReadCache({ maxBytes: 10 })
  cache.set('small', Buffer.alloc(5))
  cache.set('big', Buffer.alloc(11))
  t.equal(cache.get('big'), undefined)
  t.ok(cache.get('small'), 'and evicts nothing')
  t.equal(cache.bytes, 5)
})

t.test('an empty blob can be cached', async t => {
  const cache = new ReadCache({ maxBytes: 10 })
  cache.set('empty', Buffer.alloc(0))
  t.equal(cache.get('empty')?.length, 0)
})
