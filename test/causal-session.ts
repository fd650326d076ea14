// CausalSession and CausalStore on the embedded engine, whose one replica is always caught up
// (serializable = linearizable): the bookkeeping, the modes, the clock. The lagging-replica
// cases run on real etcd clusters in causal-anomaly.ts.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmbeddedStore } from '../lib/meta/embedded'
import { CausalSession, VectorClock, readModes } from '../lib/causal'

async function embedded(t: Test): Promise<EmbeddedStore> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-causal-'))
  const store = await EmbeddedStore.open({ path: join(dir, 'meta.db') })
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return store
}

t.test('writes, reads and watch events all rise the session clock', async t => {
  const session = new CausalSession()
  t.equal(session.mode, 'causal')
  const us = session.store('us', await embedded(t))
  t.equal(us.engine, 'embedded')
  const w = await us.txn([], [{ type: 'put', key: 'a', value: '1' }])
  t.equal(session.clock.get('us'), w.revision, 'a write')

  const other = session.store('us-other', await embedded(t))
  const events: number[] = []
  const watch = await other.watch('', { onEvents: (_, rev) => { events.push(rev) } })
  t.teardown(() => watch.close())
  const r = await other.txn([], [{ type: 'put', key: 'x', value: '1' }])
  while (events.length === 0) await new Promise(resolve => setTimeout(resolve, 5))
  t.same(events, [r.revision], 'the watch still delivers')
  t.equal(session.clock.get('us-other'), r.revision)

  const g = await us.get('a')
  t.equal(g.kv?.value.toString(), '1')
  t.equal(session.clock.get('us'), g.revision, 'a read')
  const failed = await us.txn([{ key: 'a', target: 'value', op: '=', value: 'nope' }], [], [{ type: 'get', key: 'a' }])
  t.notOk(failed.succeeded)
  t.equal(session.clock.get('us'), failed.revision, 'a transaction whose compares failed is an observation too')
  t.same(session.clock.groups(), ['us', 'us-other'])
})

t.test('causal reads on a caught-up replica are all served nearest; linearizable ones by the quorum', async t => {
  const store = await embedded(t)
  for (const mode of readModes) {
    const session = new CausalSession({ mode })
    const s = session.store('g', store)
    await s.txn([], [{ type: 'put', key: `k/${mode}`, value: mode }])
    t.equal((await s.get(`k/${mode}`)).kv?.value.toString(), mode, `${mode}: read your write`)
    t.ok((await s.range('k/')).kvs.length > 0, `${mode}: range`)
    t.same(s.counts, mode === 'linearizable'
      ? { nearest: 0, waited: 0, fallback: 0, quorum: 2 }
      : { nearest: 2, waited: 0, fallback: 0, quorum: 0 }, mode)
    await s.get('k', { serializable: true })
    t.equal(s.counts.nearest, mode === 'linearizable' ? 1 : 3, `${mode}: serializable: true accepts any staleness`)
  }
})

t.test('one wrapper per group; group ids are checked', async t => {
  const store = await embedded(t)
  const session = new CausalSession()
  t.equal(session.store('g', store), session.store('g', store))
  t.throws(() => session.store('bad group', store), { code: 'EINVAL' })
})

t.test('dependsOn and catchUp take in clocks from elsewhere; the token carries the clock', async t => {
  const store = await embedded(t)
  const writer = new CausalSession()
  const ws = writer.store('g', store)
  const w = await ws.txn([], [{ type: 'put', key: 'k', value: 'v' }])
  t.equal(writer.token(), `c1:g=${w.revision.toString(36)}`)

  const reader = new CausalSession()
  const rs = reader.store('g', store)
  t.equal(await reader.catchUp(writer.token()), true, 'the only replica has caught up')
  t.equal(reader.clock.get('g'), w.revision)
  t.equal(await reader.catchUp(new VectorClock({ elsewhere: 5 })), true, 'a group without a store has nothing to wait for')
  t.equal(reader.clock.get('elsewhere'), 5, 'but its entry is kept')
  reader.dependsOn(new VectorClock({ g: 1, other: 9 }))
  t.same(reader.clock.toJSON(), { elsewhere: 5, g: w.revision, other: 9 })
  await rs.get('k')
  t.same(rs.counts, { nearest: 1, waited: 0, fallback: 0, quorum: 0 })
  await t.rejects(reader.catchUp('not a token'), { code: 'EINVAL' })
})
