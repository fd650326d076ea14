import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EtcdCluster, startEtcd } from '../fixtures/etcd-cluster'
import { alive } from '../fixtures/file-checks'

async function health(endpoint: string): Promise<unknown> {
  const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2000) })
  return ((await res.json()) as { health?: unknown }).health
}

// The harness does not expose PIDs, so find its etcd processes independently, by data dir.
function etcdPids(dataDir: string): number[] {
  return fs.readdirSync('/proc').filter(d => /^\d+$/.test(d)).map(Number).filter(pid => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      return path.basename(argv[0]) === 'etcd' && argv.some(a => a.startsWith(dataDir + path.sep))
    } catch {
      return false // exited while we looked
    }
  })
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-etcd-test-'))

t.test('a one-member cluster is healthy', async t => {
  const etcd = await startEtcd(t)
  t.equal(etcd.size, 1)
  t.match(etcd.endpoints, [/^http:\/\/127\.0\.0\.1:\d+$/])
  t.equal(etcd.memberEndpoint(0), etcd.endpoints[0])
  t.ok(etcd.isRunning(0))
  t.equal(await health(etcd.endpoints[0]), 'true')
  t.throws(() => etcd.memberEndpoint(1), RangeError)
})

t.test('a three-member cluster survives losing members and takes them back', async t => {
  const dataDir = tempDir()
  const etcd = await startEtcd(t, { members: 3, dataDir })
  t.equal(new Set(etcd.endpoints).size, 3, 'every member has its own port')
  const pids = new Set<number>()
  const notePids = () => { for (const pid of etcdPids(dataDir)) pids.add(pid) }
  notePids()
  t.equal(pids.size, 3)

  await etcd.stopMember(2)
  await etcd.stopMember(2) // idempotent
  t.notOk(etcd.isRunning(2))
  await etcd.waitHealthy()
  t.equal(await health(etcd.endpoints[0]), 'true')
  t.equal(await health(etcd.endpoints[1]), 'true')

  await etcd.startMember(2)
  notePids()
  await etcd.waitHealthy()
  t.equal(await health(etcd.endpoints[2]), 'true')

  // With every member down, the first one back has no quorum: startMember must not wait for health.
  await etcd.killMember(0)
  t.notOk(etcd.isRunning(0))
  // One at a time: a leader stopped together with its last peer may spend the whole
  // SIGKILL grace period trying to hand its leadership over.
  await etcd.stopMember(1)
  await etcd.stopMember(2)
  await etcd.startMember(0)
  t.not(await health(etcd.endpoints[0]).catch(() => 'unreachable'), 'true', 'no quorum yet')
  await etcd.startMember(1)
  await etcd.startMember(2)
  await etcd.waitHealthy()
  for (const endpoint of etcd.endpoints) t.equal(await health(endpoint), 'true')
  notePids()
  t.equal(pids.size, 7, 'three first processes and four restarts')
  await etcd.destroy()
  await etcd.destroy() // idempotent
  for (const pid of pids) t.notOk(alive(pid), `etcd ${pid} is gone`)
  t.notOk(fs.existsSync(dataDir), 'data dir is removed')
})

t.test('a member that fails to start is reported with its log, and nothing is left behind', async t => {
  const dataDir = tempDir()
  // etcd refuses an election timeout under five heartbeats.
  await t.rejects(EtcdCluster.start({ heartbeatMs: 100, electionMs: 200, dataDir }),
    /etcd member m0 .* exited .*election-timeout/s)
  t.same(etcdPids(dataDir), [])
  t.notOk(fs.existsSync(dataDir))
})
