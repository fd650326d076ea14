// lib/progress without a terminal: plain lines, at most one every 2 s and a last one with the
// time taken; nothing at all for programs (--json), and nothing for work that never started.
import t from 'tap'
import { PassThrough } from 'node:stream'
import { progress, progressMode } from '../lib/progress'

function capture(): { out: PassThrough; lines: () => string[] } {
  const out = new PassThrough()
  let text = ''
  out.on('data', (b: Buffer) => { text += b.toString() })
  return { out, lines: () => text.split('\n').filter(Boolean) }
}

t.test('plain lines: the first at once, then at most every 2 s, and a last one', async t => {
  const { out, lines } = capture()
  const p = progress('gc', 'blobs', 'lines', out)
  p.total(10)
  p.update(1, 'pool eu')
  for (let i = 2; i < 10; i++) p.update(i)
  p.update(10)
  p.stop()
  p.stop()
  t.same(lines().slice(0, 1), ['meridian gc: 1/10 blobs (10%) pool eu'], 'the first update is shown')
  t.equal(lines().length, 2, 'the updates within 2 s are not')
  t.match(lines()[1], /^meridian gc: 10\/10 blobs \(100%\) pool eu in \d+\.\d s$/, 'the last line says it is done, and how long it took')
})

t.test('a count of unknown total', async t => {
  const { out, lines } = capture()
  const p = progress('pool scan eu', 'blobs listed', 'lines', out)
  p.update(3.7)
  p.stop()
  t.match(lines(), [/^meridian pool scan eu: 3 blobs listed$/, /^meridian pool scan eu: 3 blobs listed in /])
})

t.test('nothing for programs, nor for work that never started', async t => {
  const { out, lines } = capture()
  const off = progress('gc', 'blobs', 'off', out)
  off.total(5)
  off.update(5)
  off.stop()
  progress('gc', 'blobs', 'lines', out).stop()
  t.same(lines(), [])
  t.equal(progressMode(true), 'off', '--json: off')
  t.equal(progressMode(false, { isTTY: true } as NodeJS.WriteStream), 'bar', 'a terminal: a bar')
  t.equal(progressMode(false, { isTTY: false } as NodeJS.WriteStream), 'lines', 'otherwise: lines')
})
