// meridian mount --metrics: a real mount (its own process, real FUSE) serves Prometheus
// metrics over HTTP; operations in the mount move the counters the scrape shows. And the
// replicator as a service (meridian replicate --metrics) exports its passes and backlog.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isMounted } from '../lib/fuse/mounts'
import { errorCode } from '../fixtures/file-checks'
import { freePort, startCli } from '../fixtures/cli-process'

const home = mkdtempSync(join(tmpdir(), 'meridian-metrics-'))
t.teardown(() => rmSync(home, { recursive: true, force: true }))
const env = { ...process.env, MERIDIAN_HOME: home }

/** scrape reads the endpoint and returns each sample (name{labels}) with its value */
async function scrape(t: tap.Test, url: string): Promise<Map<string, number>> {
  const res = await fetch(url)
  t.equal(res.status, 200, `GET ${url}`)
  t.match(res.headers.get('content-type'), /^text\/plain/, 'in the Prometheus text format')
  const samples = new Map<string, number>()
  for (const line of (await res.text()).split('\n')) {
    const m = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line)
    if (m) samples.set(m[1], Number(m[2]))
  }
  return samples
}

t.test('a mount with --metrics counts operations, bytes, caches, store calls and errors', async t => {
  const mnt = join(home, 'mnt')
  mkdirSync(mnt)
  const port = await freePort()
  await startCli(t, ['mount', mnt, '--metrics', `127.0.0.1:${port}`, '--slow-op-ms', '0'], env, /metrics at (http:\S+)/)
  const url = `http://127.0.0.1:${port}/metrics`
  const before = await scrape(t, url)
  const at = (m: Map<string, number>, name: string) => m.get(name) ?? 0

  const data = Buffer.alloc(300_000, 7)
  await writeFile(join(mnt, 'f'), data)
  t.equal((await readFile(join(mnt, 'f'))).length, data.length)
  await stat(join(mnt, 'f'))
  t.equal(await errorCode(stat(join(mnt, 'missing'))), 'ENOENT')

  const after = await scrape(t, url)
  const moved = (name: string) => at(after, name) - at(before, name)
  t.ok(moved('meridian_fuse_op_duration_seconds_count{op="create"}') >= 1, 'create counted')
  t.ok(moved('meridian_fuse_op_duration_seconds_count{op="write"}') >= 1, 'writes counted')
  t.ok(moved('meridian_fuse_op_duration_seconds_bucket{le="+Inf",op="write"}') >= 1, 'with a latency histogram')
  t.ok(moved('meridian_written_bytes_total') >= data.length, `bytes written: ${moved('meridian_written_bytes_total')}`)
  t.ok(moved('meridian_read_bytes_total') >= data.length, `bytes read: ${moved('meridian_read_bytes_total')}`)
  t.ok(moved('meridian_fuse_errors_total{op="lookup",errno="ENOENT"}') >= 1, 'the failed lookup counted by errno')
  t.ok(moved('meridian_store_request_duration_seconds_count{call="txn",group="0"}') >= 1, 'store transactions counted')
  const cache = [...after.keys()].filter(k => k.startsWith('meridian_cache_lookups_total'))
  t.ok(cache.reduce((n, k) => n + moved(k), 0) >= 1, `cache lookups counted: ${cache.join(', ')}`)
  t.ok(after.has('meridian_tx_conflicts_total'), 'conflicts exported')
  t.ok(after.has('meridian_store_retries_total'), 'retries exported')
  t.ok(after.has('process_resident_memory_bytes'), 'and the process metrics')

  // the same address serves the status page's data, with the operations over the threshold (0 ms)
  const status = await (await fetch(`http://127.0.0.1:${port}/status.json`)).json() as { slow: Array<{ op: string }>; sessions: unknown[] }
  t.ok(status.slow.some(o => o.op === 'write'), 'slow operations are kept for the status page')
  t.equal(status.sessions.length, 1, 'one session: this mount')
})

t.test('replicate as a service exports its passes and backlog', async t => {
  // the mount above formatted the embedded default in this home, and has let go of it
  const port = await freePort()
  await startCli(t, ['replicate', '--metrics', `127.0.0.1:${port}`, '--interval', '1'], env, /metrics at http:/)
  const url = `http://127.0.0.1:${port}/metrics`
  let samples = await scrape(t, url)
  for (const giveUp = Date.now() + 30_000; !(samples.get('meridian_replication_passes_total')! >= 1) && Date.now() < giveUp; samples = await scrape(t, url)) {
    await sleep(200)
  }
  t.ok(samples.get('meridian_replication_passes_total')! >= 1, 'a pass counted')
  t.equal(samples.get('meridian_replication_backlog_blobs'), 0, 'nothing left to copy: one pool, one copy')
  t.ok(samples.has('meridian_replication_copied_bytes_total'), 'bytes copied exported')
})

t.test('a bad --metrics address is one line naming the field, and nothing is mounted', async t => {
  const r = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'meridian.js'), 'mount', join(home, 'bad'), '--metrics', 'nowhere:port'], { env, encoding: 'utf8' })
  t.equal(r.status, 2)
  t.match(r.stderr, /^meridian: metrics: 'nowhere:port' is not HOST:PORT/)
  t.notOk(isMounted(join(home, 'bad')), 'not mounted')

  // an address in use: refused before mounting
  const taken = createServer()
  await new Promise<void>(ok => taken.listen(0, '127.0.0.1', ok))
  t.teardown(() => new Promise<void>(ok => taken.close(() => ok())))
  const port = (taken.address() as AddressInfo).port
  const busy = spawnSync(process.execPath, [join(__dirname, '..', 'bin', 'meridian.js'), 'mount', join(home, 'busy'), '--metrics', `127.0.0.1:${port}`], { env, encoding: 'utf8' })
  t.equal(busy.status, 2)
  t.match(busy.stderr, new RegExp(`^meridian: metrics: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n$`))
  t.notOk(isMounted(join(home, 'busy')), 'not mounted')
})
