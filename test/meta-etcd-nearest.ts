// The etcd engine's nearest member, and the harness's ways of holding a member behind.
import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { EtcdStore } from '../lib/meta/etcd'
import { openStore } from '../lib/meta'
import { startEtcd, type EtcdCluster } from '../fixtures/etcd-cluster'

/**
 * openNear opens the cluster with member as the nearest one; writes go to the others, since
 * etcd answers a write sent to a lagging follower only once that follower has applied it
 */
async function openNear(t: Test, cluster: EtcdCluster, member: number): Promise<EtcdStore> {
  const endpoints = cluster.endpoints.filter((_, i) => i !== member)
  const store = await EtcdStore.open({ endpoints, nearest: cluster.memberEndpoint(member) })
  t.teardown(() => store.close())
  return store
}

/** a follower of the cluster, as the leader sees it now */
async function follower(cluster: EtcdCluster): Promise<number> {
  const leader = await cluster.leader()
  return (leader + 1) % cluster.size
}

/** staleReads polls a serializable read until it finds value, and counts the other answers */
async function staleReads(store: EtcdStore, key: string, value: string, failures = 0): Promise<number> {
  for (let stale = 0; ; stale++) {
    try {
      const { kv } = await store.get(key, { serializable: true })
      if (kv?.value.toString() === value) return stale
    } catch (err) {
      // the client's circuit breaker fails fast for a few seconds after a member stopped answering
      if (--failures < 0) throw err
    }
    await sleep(5)
  }
}

t.test('a lagging follower answers serializable reads from its own, older state', async t => {
  const cluster = await startEtcd(t, { members: 3, peerProxies: true })
  const lagging = await follower(cluster)
  const store = await openNear(t, cluster, lagging)
  t.equal(store.nearest, cluster.memberEndpoint(lagging))

  const first = await store.txn([], [{ type: 'put', key: 'k', value: 'one' }])
  await staleReads(store, 'k', 'one')
  const caughtUp = await store.get('k', { serializable: true })
  t.ok(caughtUp.revision >= first.revision, 'a caught-up member reports at least the write revision')

  // below the election timeout (500 ms), so the lagging member never calls an election
  await cluster.lagMember(lagging, 400)
  const second = await store.txn([], [{ type: 'put', key: 'k', value: 'two' }])
  const stale = await store.get('k', { serializable: true })
  t.equal(stale.kv?.value.toString(), 'one', 'the lagging member has not applied the write yet')
  t.ok(stale.revision < second.revision, 'and its header revision says so')
  const quorum = await store.get('k')
  t.equal(quorum.kv?.value.toString(), 'two', 'a linearizable read sees the write')
  t.ok(quorum.revision >= second.revision)
  const range = await store.range('k', { serializable: true })
  t.ok(range.revision < second.revision, 'serializable ranges go to the nearest member too')

  t.ok(await staleReads(store, 'k', 'two') > 0, 'the lagging member catches up in the end')
  await cluster.lagMember(lagging, 0)
  await store.txn([], [{ type: 'put', key: 'k', value: 'three' }])
  await staleReads(store, 'k', 'three')
  t.pass('and follows again without the lag')
})

t.test('a paused member serves nothing; resumed, it catches up', async t => {
  const cluster = await startEtcd(t, { members: 3 })
  const paused = await follower(cluster)
  const store = await EtcdStore.open({ endpoints: cluster.endpoints, nearest: cluster.memberEndpoint(paused), nearestDeadlineMs: 300, attemptMs: 100 })
  t.teardown(() => store.close())
  cluster.pauseMember(paused)
  await store.txn([], [{ type: 'put', key: 'p', value: 'written while paused' }])
  await t.rejects(store.get('p', { serializable: true }), { code: 'ETIMEDOUT' }, 'the nearest member gives up after its own deadline')
  cluster.resumeMember(paused)
  await staleReads(store, 'p', 'written while paused', 100)
  cluster.pauseMember(paused)
  await cluster.stopMember(paused)
  t.notOk(cluster.isRunning(paused), 'a paused member still stops')
})

t.test('etcd URLs name the nearest member with ?nearest=', async t => {
  const cluster = await startEtcd(t, { members: 1 })
  const hostPort = cluster.endpoints[0].replace('http://', '')
  const store = await openStore(`etcd://${hostPort}?nearest=${hostPort}`) as EtcdStore
  t.teardown(() => store.close())
  t.equal(store.nearest, cluster.endpoints[0])
  await t.rejects(openStore(`etcd://${hostPort}?nearest=nohost`), /is not etcd:\/\/host:port/)
  await t.rejects(EtcdStore.open({ endpoints: cluster.endpoints, nearest: 'http://127.0.0.1:1', nearestDeadlineMs: 200 }),
    { code: 'ETIMEDOUT' }, 'an unreachable nearest member fails the open')
})
