import t from 'tap'
import { randomBytes } from 'node:crypto'
import { WriteBuffer, type Block, type DirtyRange } from '../lib/data/write-buffer'

const bytes = (s: string) => Buffer.from(s)
const text = (ranges: DirtyRange[]) => ranges.map(r => ({ off: r.off, data: r.data.toString() }))
const layout = (blocks: Block[]) => blocks.map(b => [b.offset, b.data.length])

t.test('an empty buffer', async t => {
  const buf = new WriteBuffer()
  t.ok(buf.isEmpty())
  t.equal(buf.dirtyBytes, 0)
  t.equal(buf.end, 0)
  t.same(buf.read(0, 100), [])
  t.same(buf.takeBlocks(4), [])
  buf.write(5, Buffer.alloc(0))
  t.ok(buf.isEmpty(), 'an empty write dirties nothing')
})

t.test('write keeps a copy of the data', async t => {
  const buf = new WriteBuffer()
  const data = bytes('abc')
  buf.write(0, data)
  data.write('xyz')
  t.same(text(buf.read(0, 3)), [{ off: 0, data: 'abc' }])
})

t.test('later writes win where they overlap', async t => {
  const buf = new WriteBuffer()
  buf.write(0, bytes('aaaaaaaaaa'))
  buf.write(3, bytes('bbb'))
  buf.write(8, bytes('cccc'))
  buf.write(20, bytes('dd'))
  t.same(text(buf.read(0, 100)), [{ off: 0, data: 'aaabbbaacccc' }, { off: 20, data: 'dd' }])
  t.equal(buf.dirtyBytes, 14)
  t.equal(buf.end, 22)
  buf.write(0, bytes('e'.repeat(30)))
  t.same(text(buf.read(0, 100)), [{ off: 0, data: 'e'.repeat(30) }], 'one write covers all')
  t.equal(buf.dirtyBytes, 30)
})

t.test('read returns only the bytes inside the range', async t => {
  const buf = new WriteBuffer()
  buf.write(0, bytes('0123456789'))
  buf.write(15, bytes('abcde'))
  t.same(text(buf.read(5, 12)), [{ off: 5, data: '56789' }, { off: 15, data: 'ab' }])
  t.same(text(buf.read(3, 2)), [{ off: 3, data: '34' }])
  t.same(buf.read(10, 5), [], 'a gap')
  t.same(buf.read(40, 5), [], 'past the end')
})

t.test('touching writes read back as one range', async t => {
  const buf = new WriteBuffer()
  buf.write(4, bytes('efgh'))
  buf.write(0, bytes('abcd'))
  buf.write(8, bytes('ijkl'))
  t.same(text(buf.read(0, 12)), [{ off: 0, data: 'abcdefghijkl' }])
})

t.test('sequential 128 KiB writes form one dirty range', async t => {
  const buf = new WriteBuffer()
  const block = 128 * 1024
  const file = randomBytes(64 * block)
  for (let off = 0; off < file.length; off += block) buf.write(off, file.subarray(off, off + block))
  const ranges = buf.read(0, file.length)
  t.equal(ranges.length, 1)
  t.ok(ranges[0].data.equals(file))
  t.equal(buf.dirtyBytes, file.length)
  t.equal(buf.end, file.length)
})

t.test('a long stream of small writes costs linear time', { timeout: 20_000 }, async t => {
  const buf = new WriteBuffer()
  const piece = Buffer.alloc(4096, 7)
  const count = 20_000 // re-copying everything held on each write would move ~800 GB
  for (let i = 0; i < count; i++) buf.write(i * piece.length, piece)
  t.equal(buf.dirtyBytes, count * piece.length)
  t.equal(buf.read(0, buf.end).length, 1)
})

t.test('truncate drops the bytes at and above size', async t => {
  const buf = new WriteBuffer()
  buf.write(0, bytes('0123456789'))
  buf.write(20, bytes('abc'))
  buf.truncate(21)
  t.same(text(buf.read(0, 100)), [{ off: 0, data: '0123456789' }, { off: 20, data: 'a' }])
  buf.truncate(4)
  t.same(text(buf.read(0, 100)), [{ off: 0, data: '0123' }])
  t.equal(buf.dirtyBytes, 4)
  t.equal(buf.end, 4)
  buf.truncate(0)
  t.ok(buf.isEmpty())
})

t.test('takeBlocks cuts at block-aligned offsets and empties the buffer', async t => {
  const buf = new WriteBuffer()
  buf.write(3, bytes('abcdefghijklm')) // [3, 16)
  buf.write(20, bytes('xy'))
  const blocks = buf.takeBlocks(4)
  t.same(layout(blocks), [[3, 1], [4, 4], [8, 4], [12, 4], [20, 2]])
  t.same(blocks.map(b => b.data.toString()), ['a', 'bcde', 'fghi', 'jklm', 'xy'])
  t.ok(buf.isEmpty())
  t.equal(buf.dirtyBytes, 0)
})

t.test('blocks never cross a chunk boundary', async t => {
  const buf = new WriteBuffer()
  buf.write(0, Buffer.alloc(30, 1))
  t.same(layout(buf.takeBlocks(8, 12)), [[0, 8], [8, 4], [12, 4], [16, 8], [24, 6]], 'cut at multiples of 8 and of 12')
  buf.write(0, Buffer.alloc(40, 1))
  t.same(layout(buf.takeBlocks(8, 16)), [[0, 8], [8, 8], [16, 8], [24, 8], [32, 8]])
})

t.test('writing a file any way yields the same blocks', async t => {
  const file = randomBytes(10_000)
  const whole = new WriteBuffer()
  whole.write(0, file)
  const pieced = new WriteBuffer()
  // odd-sized writes in shuffled order, some overlapping
  const cuts = [0, 17, 1000, 1001, 4099, 6000, 9999, 10_000]
  const writes = cuts.slice(1).map((end, i) => ({ off: cuts[i], end: Math.min(file.length, end + 3) }))
  for (const { off, end } of writes.reverse()) pieced.write(off, file.subarray(off, end))
  const expected = whole.takeBlocks(4096)
  const actual = pieced.takeBlocks(4096)
  t.same(layout(actual), layout(expected))
  t.ok(actual.every((b, i) => b.data.equals(expected[i].data)))
})

t.test('takeFullBlocks takes only whole aligned blocks', async t => {
  const buf = new WriteBuffer()
  buf.write(2, Buffer.alloc(15, 1)) // [2, 17)
  buf.write(20, Buffer.alloc(3, 2)) // [20, 23): no whole block
  t.same(layout(buf.takeFullBlocks(4)), [[4, 4], [8, 4], [12, 4]])
  t.same(buf.read(0, 100).map(r => [r.off, r.data.length]), [[2, 2], [16, 1], [20, 3]], 'the partial edges stay dirty')
  t.equal(buf.dirtyBytes, 6)
  buf.write(17, Buffer.alloc(3, 3))
  t.same(layout(buf.takeFullBlocks(4)), [[16, 4]], 'a block completes once its gap is written')
  t.same(layout(buf.takeBlocks(4)), [[2, 2], [20, 3]])
})

t.test('takeFullBlocks seals a sequential stream as it goes', async t => {
  const buf = new WriteBuffer()
  const file = randomBytes(100)
  const sealed: Block[] = []
  for (let off = 0; off < file.length; off += 7) {
    buf.write(off, file.subarray(off, off + 7))
    sealed.push(...buf.takeFullBlocks(16))
  }
  t.same(layout(sealed), [[0, 16], [16, 16], [32, 16], [48, 16], [64, 16], [80, 16]])
  t.same(layout(buf.takeBlocks(16)), [[96, 4]])
  t.ok(Buffer.concat(sealed.map(b => b.data)).equals(file.subarray(0, 96)))
})

t.test('bad arguments are EINVAL', async t => {
  const buf = new WriteBuffer()
  t.throws(() => buf.write(-1, bytes('a')), { code: 'EINVAL' })
  t.throws(() => buf.write(1.5, bytes('a')), { code: 'EINVAL' })
  t.throws(() => buf.truncate(-1), { code: 'EINVAL' })
  t.throws(() => buf.takeBlocks(0), { code: 'EINVAL' })
  t.throws(() => buf.takeFullBlocks(4, 0), { code: 'EINVAL' })
})

t.test('random writes and truncates match a plain buffer', async t => {
  let seed = Number(process.env.WRITE_BUFFER_SEED ?? Date.now() % 1e9)
  t.comment(`seed ${seed} (replay with WRITE_BUFFER_SEED=${seed})`)
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const int = (n: number) => Math.floor(random() * n)
  const size = 300
  const model = Buffer.alloc(size)
  const dirty = new Uint8Array(size)
  const buf = new WriteBuffer()
  for (let step = 0; step < 500; step++) {
    if (random() < 0.1) {
      const at = int(size)
      buf.truncate(at)
      dirty.fill(0, at)
    } else {
      const off = int(size)
      const data = randomBytes(1 + int(Math.min(40, size - off)))
      buf.write(off, data)
      data.copy(model, off)
      dirty.fill(1, off, off + data.length)
    }
    const seen = new Uint8Array(size)
    const read = Buffer.alloc(size)
    for (const r of buf.read(0, size)) {
      r.data.copy(read, r.off)
      seen.fill(1, r.off, r.off + r.data.length)
    }
    const wrong = read.findIndex((byte, i) => seen[i] !== dirty[i] || (dirty[i] === 1 && byte !== model[i]))
    const count = dirty.reduce((n, d) => n + d, 0)
    if (wrong >= 0 || buf.dirtyBytes !== count) {
      return t.fail(`step ${step}: byte ${wrong} wrong or dirtyBytes ${buf.dirtyBytes} not ${count}`)
    }
  }
  t.pass('every byte matched the model through 500 steps')
})
