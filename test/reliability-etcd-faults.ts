// etcd faults under a running workload (docs/reliability.md, "etcd faults"): a 3-member cluster,
// a mount of it in this process, and a writer process (fixtures/crash-fault-writer.ts) that
// creates and fsyncs one small file after another and journals each attempt. In turn: a
// follower killed and restarted, the leader killed and restarted, the leader stopped (SIGSTOP)
// and resumed: no error reaches the writer. A majority lost: attempts fail with ETIMEDOUT or EIO
// within the documented deadline (plus slack for a loaded machine), the mount stays up and the
// writer goes on by itself once the quorum is back. The whole cluster restarted: the mount
// reconnects (an attempt may fail meanwhile, as above, or just wait when the restart is quick).
// Finally every file the writer saw succeed reads back with its sha256, and fsck is clean.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { startEtcd } from '../fixtures/etcd-cluster'
import { sha256 } from '../fixtures/file-checks'
import { mountMeridian } from '../fixtures/mount'
import { fsck } from '../lib/fsck/check'
import { DEADLINE_MS } from '../lib/meta/retry'

const writerScript = join(__dirname, '..', 'fixtures', 'crash-fault-writer.js')
/** an attempt that fails must fail within the deadline; one attempt makes a few metadata calls, each bounded by it */
const FAIL_WITHIN_MS = 3 * DEADLINE_MS
const RECOVER_WITHIN_MS = 30_000

interface Attempt { ok: boolean; name: string; detail: string; start: number; end: number }

async function attempts(journal: string): Promise<Attempt[]> {
  const text = await readFile(journal, 'utf8').catch(() => '')
  return text.split('\n').flatMap(line => {
    const m = /^(ok|err) (\S+) (\S+) (\d+) (\d+)$/.exec(line)
    return m ? [{ ok: m[1] === 'ok', name: m[2], detail: m[3], start: Number(m[4]), end: Number(m[5]) }] : []
  })
}

t.test('etcd faults under a running writer', { timeout: 300_000 }, async t => {
  const cluster = await startEtcd(t, { members: 3 })
  const url = `etcd://${cluster.endpoints.map(e => e.replace(/^http:\/\//, '')).join(',')}`
  const m = await mountMeridian(t, { meta: url })
  const journal = join(m.root, 'journal')
  const writer = spawn(process.execPath, [writerScript, m.dir, journal], { stdio: ['ignore', 'ignore', 'pipe'] })
  let writerErr = ''
  writer.stderr.on('data', d => (writerErr += d))
  const writerExit = new Promise(resolve => writer.once('exit', resolve))
  t.teardown(async () => {
    writer.kill('SIGKILL')
    await writerExit
    for (let i = 0; i < cluster.size; i++) cluster.resumeMember(i)
  })

  /** okAfter waits until the writer has finished n more files successfully after since */
  const okAfter = async (since: number, n: number, within = RECOVER_WITHIN_MS): Promise<number> => {
    for (const giveUp = Date.now() + within; ; await sleep(50)) {
      const done = (await attempts(journal)).filter(a => a.ok && a.start >= since)
      if (done.length >= n) return done[n - 1].end
      if (writer.exitCode !== null) throw new Error(`the writer exited: ${writerErr}`)
      if (Date.now() > giveUp) throw new Error(`the writer finished ${done.length} of ${n} files in ${within} ms`)
    }
  }
  /** during is what the writer did between from and to: its failures, and the longest attempt */
  const during = async (from: number, to: number) => {
    const seen = (await attempts(journal)).filter(a => a.end >= from && a.start <= to)
    return { seen, errors: seen.filter(a => !a.ok), longestMs: Math.max(0, ...seen.map(a => a.end - a.start)) }
  }
  await okAfter(0, 5)

  const restartOne = async (which: 'follower' | 'leader') => {
    const leader = await cluster.leader()
    const victim = which === 'leader' ? leader : (leader + 1) % cluster.size
    const from = Date.now()
    await cluster.killMember(victim)
    await okAfter(Date.now(), 5)
    await sleep(2_000)
    await cluster.startMember(victim)
    await cluster.waitHealthy()
    const to = await okAfter(Date.now(), 5)
    const d = await during(from, to)
    t.same(d.errors, [], `${which} killed and restarted: no error reached the writer (${d.seen.length} files, the longest took ${d.longestMs} ms)`)
  }
  await t.test('a follower killed, then restarted', () => restartOne('follower'))
  await t.test('the leader killed, then restarted', () => restartOne('leader'))

  await t.test('the leader stopped (SIGSTOP), then resumed', async t => {
    const leader = await cluster.leader()
    const from = Date.now()
    cluster.pauseMember(leader)
    await sleep(5_000)
    cluster.resumeMember(leader)
    const to = await okAfter(Date.now(), 5)
    const d = await during(from, to)
    t.same(d.errors, [], `no error reached the writer (${d.seen.length} files; the longest pause: one file took ${d.longestMs} ms)`)
  })

  /** outage stops members for downMs; attempts may fail meanwhile (must, when failures is 'expected'), only with a clear errno in time */
  const outage = async (t: Test, what: string, stop: number[], downMs: number, failures: 'expected' | 'allowed') => {
    const from = Date.now()
    for (const i of stop) await cluster.killMember(i)
    await sleep(downMs)
    const back = Date.now()
    for (const i of stop) await cluster.startMember(i)
    await cluster.waitHealthy()
    const resumed = await okAfter(Date.now(), 1)
    const to = await okAfter(resumed, 5)
    const d = await during(from, back)
    if (failures === 'expected') t.ok(d.errors.length > 0, `${what}: attempts failed meanwhile (${d.errors.length})`)
    t.same(d.errors.filter(e => !/^(ETIMEDOUT|EIO)$/.test(e.detail)).map(e => e.detail), [], `${what}: ${d.errors.length} attempts failed (${d.errors.map(e => e.detail).join(', ') || 'none'}), each with ETIMEDOUT or EIO`)
    const slowest = Math.max(0, ...d.errors.map(e => e.end - e.start))
    t.ok(slowest <= FAIL_WITHIN_MS, `each failed within ${FAIL_WITHIN_MS} ms (the slowest took ${slowest} ms; the longest attempt ${d.longestMs} ms)`)
    t.ok(to > resumed, `the writer went on by itself, without a remount: ${resumed - back} ms after the members were started again`)
  }
  await t.test('a majority lost for 15 s, then back', t => outage(t, 'majority lost', [0, 1], 15_000, 'expected'))
  await t.test('the whole cluster restarted', t => outage(t, 'every member down', [0, 1, 2], 5_000, 'allowed'))

  writer.kill('SIGKILL')
  await writerExit
  const ok = (await attempts(journal)).filter(a => a.ok)
  const wrong: string[] = []
  for (const a of ok) {
    const actual = await sha256(join(m.dir, a.name)).catch((err: NodeJS.ErrnoException) => err.code ?? String(err))
    if (actual !== a.detail) wrong.push(`${a.name}: ${actual}`)
  }
  t.same(wrong, [], `every one of the ${ok.length} files the writer saw committed reads back with its sha256`)
  t.same((await fsck(m.store, m.fs.name)).problems, [], 'fsck finds the metadata consistent')
})
