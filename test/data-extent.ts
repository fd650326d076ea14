import t from 'tap'
import { blobsOf, CHUNK_SIZE, chunkSpans, overlay, pieces, truncate, type Extent } from '../lib/data/extent'

const ext = (off: number, len: number, blob: string, boff = 0): Extent => ({ off, len, blob, boff })

t.test('overlay into an empty layout', async t => {
  t.same(overlay([], ext(10, 5, 'a')), [ext(10, 5, 'a')])
  t.same(overlay([ext(0, 4, 'a')], ext(9, 0, 'b')), [ext(0, 4, 'a')], 'an empty extent changes nothing')
})

t.test('overlay trims, splits and drops what it shadows', async t => {
  const base = [ext(0, 10, 'a', 100), ext(10, 10, 'b', 200), ext(30, 10, 'c', 300)]
  t.same(overlay(base, ext(5, 10, 'x')), [ext(0, 5, 'a', 100), ext(5, 10, 'x'), ext(15, 5, 'b', 205), ext(30, 10, 'c', 300)], 'trims both neighbours')
  t.same(overlay(base, ext(2, 3, 'x')), [ext(0, 2, 'a', 100), ext(2, 3, 'x'), ext(5, 5, 'a', 105), ext(10, 10, 'b', 200), ext(30, 10, 'c', 300)], 'splits one extent')
  t.same(overlay(base, ext(0, 40, 'x')), [ext(0, 40, 'x')], 'covers everything')
  t.same(overlay(base, ext(20, 10, 'x')), [ext(0, 10, 'a', 100), ext(10, 10, 'b', 200), ext(20, 10, 'x'), ext(30, 10, 'c', 300)], 'fills a hole exactly')
  t.same(overlay(base, ext(50, 1, 'x')).length, 4, 'appends past the end')
})

t.test('overlay merges only same-blob contiguous neighbours', async t => {
  t.same(overlay([ext(0, 10, 'a', 0)], ext(10, 5, 'a', 10)), [ext(0, 15, 'a', 0)], 'continues the blob')
  t.same(overlay([ext(0, 10, 'a', 0)], ext(10, 5, 'a', 20)), [ext(0, 10, 'a', 0), ext(10, 5, 'a', 20)], 'same blob, other bytes')
  t.same(overlay([ext(0, 10, 'a', 0)], ext(10, 5, 'b', 10)), [ext(0, 10, 'a', 0), ext(10, 5, 'b', 10)], 'other blob')
  t.same(overlay([ext(0, 10, 'a', 0)], ext(3, 4, 'a', 3)), [ext(0, 10, 'a', 0)], 'rewriting the same bytes rejoins the split')
  t.same(overlay([ext(0, 5, 'a', 0), ext(10, 5, 'a', 10)], ext(5, 5, 'a', 5)), [ext(0, 15, 'a', 0)], 'bridges a hole')
})

t.test('overlay leaves its arguments alone', async t => {
  const base = [ext(0, 10, 'a')]
  const add = ext(5, 10, 'a', 5)
  const out = overlay(base, add)
  t.same(base, [ext(0, 10, 'a')])
  t.same(add, ext(5, 10, 'a', 5))
  t.not(out[0], add)
})

t.test('truncate keeps the bytes below size', async t => {
  const base = [ext(0, 10, 'a'), ext(20, 10, 'b', 7)]
  t.same(truncate(base, 25), [ext(0, 10, 'a'), ext(20, 5, 'b', 7)])
  t.same(truncate(base, 20), [ext(0, 10, 'a')])
  t.same(truncate(base, 15), [ext(0, 10, 'a')])
  t.same(truncate(base, 5), [ext(0, 5, 'a')])
  t.same(truncate(base, 0), [])
  t.same(truncate(base, 100), base)
})

t.test('pieces covers a range with blob pieces and holes', async t => {
  const base = [ext(10, 10, 'a', 100), ext(20, 5, 'b'), ext(30, 10, 'c', 50)]
  t.same(pieces(base, 0, 50), [
    { off: 0, len: 10, blob: null, boff: 0 },
    { off: 10, len: 10, blob: 'a', boff: 100 },
    { off: 20, len: 5, blob: 'b', boff: 0 },
    { off: 25, len: 5, blob: null, boff: 0 },
    { off: 30, len: 10, blob: 'c', boff: 50 },
    { off: 40, len: 10, blob: null, boff: 0 },
  ])
  t.same(pieces(base, 15, 17), [
    { off: 15, len: 5, blob: 'a', boff: 105 },
    { off: 20, len: 5, blob: 'b', boff: 0 },
    { off: 25, len: 5, blob: null, boff: 0 },
    { off: 30, len: 2, blob: 'c', boff: 50 },
  ])
  t.same(pieces(base, 12, 3), [{ off: 12, len: 3, blob: 'a', boff: 102 }], 'inside one extent')
  t.same(pieces([], 5, 5), [{ off: 5, len: 5, blob: null, boff: 0 }], 'all hole')
  t.same(pieces(base, 5, 0), [], 'empty range')
})

t.test('chunkSpans splits a file range per chunk', async t => {
  t.equal(CHUNK_SIZE, 64 * 1024 * 1024)
  t.same(chunkSpans(5, 10, 100), [{ chunk: 0, off: 5, len: 10, pos: 0 }])
  t.same(chunkSpans(95, 110, 100), [
    { chunk: 0, off: 95, len: 5, pos: 0 },
    { chunk: 1, off: 0, len: 100, pos: 5 },
    { chunk: 2, off: 0, len: 5, pos: 105 },
  ])
  t.same(chunkSpans(200, 100, 100), [{ chunk: 2, off: 0, len: 100, pos: 0 }], 'exactly one chunk')
  t.same(chunkSpans(7, 0, 100), [])
  t.same(chunkSpans(CHUNK_SIZE - 1, 2), [
    { chunk: 0, off: CHUNK_SIZE - 1, len: 1, pos: 0 },
    { chunk: 1, off: 0, len: 1, pos: 1 },
  ], 'default chunk size')
})

t.test('blobsOf lists distinct blobs', async t => {
  t.same(blobsOf([ext(0, 1, 'a'), ext(1, 1, 'b'), ext(5, 1, 'a', 9)]), ['a', 'b'])
  t.same(blobsOf([]), [])
})

/** mulberry32 is a small seeded PRNG, so a failing run can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** layoutProblem names the first broken layout invariant: sorted, non-empty, non-overlapping, nothing left to merge. */
function layoutProblem(extents: Extent[]): string | undefined {
  for (let i = 0; i < extents.length; i++) {
    const e = extents[i]
    if (e.len <= 0) return `empty extent at ${i}`
    const prev = extents[i - 1]
    if (!prev) continue
    if (prev.off + prev.len > e.off) return `extents ${i - 1} and ${i} overlap or are out of order`
    if (prev.off + prev.len === e.off && prev.blob === e.blob && prev.boff + prev.len === e.boff) {
      return `extents ${i - 1} and ${i} should have merged`
    }
  }
}

/** readPieces assembles the bytes [start, start+length) of a chunk the way a reader would. */
function readPieces(extents: Extent[], blobs: Map<string, Buffer>, start: number, length: number): Buffer | string {
  const out = Buffer.alloc(length)
  let pos = start
  for (const p of pieces(extents, start, length)) {
    if (p.off !== pos) return `piece at ${p.off}, expected ${pos}`
    if (p.blob) blobs.get(p.blob)!.copy(out, p.off - start, p.boff, p.boff + p.len)
    pos += p.len
  }
  return pos === start + length ? out : `pieces end at ${pos}, expected ${start + length}`
}

/** mismatch explains how read, taken at start, differs from expected, if it does. */
function mismatch(read: Buffer | string, expected: Buffer, start: number): string | undefined {
  if (typeof read === 'string') return read
  const at = read.findIndex((byte, i) => byte !== expected[i])
  if (at >= 0) return `byte ${start + at} is ${read[at]}, expected ${expected[at]}`
}

t.test('random overlays and truncates match a plain buffer', async t => {
  const seed = Number(process.env.EXTENT_SEED ?? Date.now() % 1e9)
  t.comment(`seed ${seed} (replay with EXTENT_SEED=${seed})`)
  const random = mulberry32(seed)
  const int = (n: number) => Math.floor(random() * n)
  const chunk = 256
  const blobSize = 400
  const blobs = new Map(['p', 'q', 'r'].map(name => [name, Buffer.from(Array.from({ length: blobSize }, () => 1 + int(255)))]))
  const names = [...blobs.keys()]
  const model = Buffer.alloc(chunk)
  let extents: Extent[] = []

  for (let step = 0; step < 500; step++) {
    if (random() < 0.1) {
      const size = int(chunk + 1)
      extents = truncate(extents, size)
      model.fill(0, size)
    } else {
      const off = int(chunk)
      const len = 1 + int(chunk - off)
      const blob = names[int(names.length)]
      // half the overlays map the chunk straight onto the blob, so neighbours often continue each other
      const boff = random() < 0.5 ? off : int(blobSize - len + 1)
      extents = overlay(extents, { off, len, blob, boff })
      blobs.get(blob)!.copy(model, off, boff, boff + len)
    }
    // read every byte, and a random range to exercise pieces at arbitrary bounds
    const start = int(chunk)
    const length = int(chunk - start + 1)
    const problem =
      layoutProblem(extents) ??
      mismatch(readPieces(extents, blobs, 0, chunk), model, 0) ??
      mismatch(readPieces(extents, blobs, start, length), model.subarray(start, start + length), start)
    if (problem) return t.fail(`step ${step}: ${problem}`)
  }
  t.pass('every byte matched the model through 500 steps')
})
