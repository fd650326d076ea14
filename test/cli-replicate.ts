import t from 'tap'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../lib/meta'
import { withMount, writeFiles } from '../fixtures/placed-files'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const home = mkdtempSync(join(tmpdir(), 'meridian-home-'))
t.teardown(() => rmSync(home, { recursive: true, force: true }))

function meridian(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, MERIDIAN_HOME: home }, encoding: 'utf8' })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

function json(t: tap.Test, ...args: string[]) {
  const r = meridian(...args, '--json')
  t.equal(r.code, 0, `${args.join(' ')}: ${r.err}`)
  return JSON.parse(r.out)
}

t.test('write with sync 1 of 2, see the backlog, replicate --once, scan a pool', async t => {
  json(t, 'format', '--pool', `a=local:${home}/a`)
  json(t, 'pool', 'add', 'b', '--driver', 'local', '--site', 'two', '--path', `${home}/b`)
  json(t, 'policy', 'set', '/', '--replicas', '2', '--sync', '1', '--spread', 'site')

  const store = await openStore(`sqlite://${join(home, 'meta.db')}`)
  const files = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}`, randomBytes(50_000)]))
  await withMount(store, { name: 'meridian' }, fs => writeFiles(fs, files))
  await store.close()

  const before = json(t, 'status')
  t.equal(before.backlog.blobs, 5, 'status reports the second copies still to make')
  t.equal(before.backlog.bytes, 250_000)
  t.match(meridian('status').out, /replication backlog: 5 blobs, 244\.1 KiB/)

  const pending = json(t, 'explain', '/f0')
  t.match(pending, { path: '/f0', from: '/', policy: { replicas: 2, sync: 1, spread: 'site' } })
  t.equal(pending.blobs.length, 1)
  const [blob] = pending.blobs
  t.match(blob, { offset: 0, length: 50_000, remove: [], queued: true })
  t.equal(blob.copies.length, 1, 'one copy, on its first target, before the commit')
  t.same(blob.copy, ['a', 'b'].filter(p => p !== blob.copies[0]), 'the other still to make')
  t.match(meridian('explain', '/f0').out, /^\/f0: policy of \/ .*\n  bytes 0\+50000 sha256-.* on [ab]; should be on [ab],[ab]; copy to [ab] \(queued\)\n$/)
  t.match(meridian('explain', '/nope').err, /^meridian: path: \/nope: no such file or directory/)

  const r = json(t, 'replicate', '--once', '--bandwidth', '100M')
  t.match(r, { copies: 5, copiedBytes: 250_000, deletes: 0, backlog: { blobs: 0, bytes: 0 } })
  t.match(meridian('replicate', '--once').out, /^replicated at epoch 2 .* 0 differed from their targets; 0 copies made .* backlog 0 blobs/)
  t.equal(json(t, 'status').backlog.blobs, 0)
  t.match(json(t, 'explain', '/f0').blobs[0], { copy: [], remove: [], queued: false })

  const ls = json(t, 'pool', 'ls')
  t.same(ls.pools.map((p: { blobs: number }) => p.blobs), [5, 5], 'both pools hold all five')
  const scan = json(t, 'pool', 'scan', 'a', '--error-rate', '0.001')
  t.match(scan, { pool: 'a', version: 1, items: 5, errorRate: 0.001 })
  t.equal(json(t, 'pool', 'scan', 'a').version, 2, 'a rescan is the next version')
  t.equal(json(t, 'replicate', '--once').queued, 0, 'the filters change nothing that is in place')
  t.equal(meridian('fsck').code, 0, 'fsck finds every blob')

  t.match(json(t, 'gc', '--grace', '0'), { unreferenced: 0, deleted: 0 }, 'gc finds nothing unreferenced')
  t.match(meridian('gc', '--grace', 'soon').err, /^meridian: grace: 'soon' is not a duration/)

  const bad = meridian('replicate', '--once', '--bandwidth', 'fast')
  t.not(bad.code, 0)
  t.match(bad.err, /^meridian: bandwidth: 'fast' is not a size/)
})
