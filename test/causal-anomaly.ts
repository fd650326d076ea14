// Causal reads across two metadata groups on real etcd clusters (DESIGN §4). A writer puts
// us/cat.jpg in group US, then eu/pets.html in group EU referring to it and carrying the
// writer's clock. A reader whose nearest US member lags behind reads pets.html, takes in its
// clock, then reads cat.jpg. Read nearest unchecked, cat.jpg is missing although pets.html
// refers to it; read causally, it is always there, and reads stay on the nearest member
// whenever it has caught up.
import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { CausalSession, VectorClock, type ReadMode } from '../lib/causal'
import { EtcdStore } from '../lib/meta/etcd'
import { startEtcd, type EtcdCluster } from '../fixtures/etcd-cluster'

const LAG_MS = 250 // well past the default wait bound (50 ms), so a causal read falls back
const ROUNDS = 25

let us: EtcdCluster
let eu: EtcdCluster
/** US's lagging follower, and an EU follower that keeps up */
let usNear: number
let euNear: number

t.before(async () => {
  ;[us, eu] = await Promise.all([
    startEtcd(t, { members: 3, peerProxies: true }),
    startEtcd(t, { members: 3 }),
  ])
  usNear = ((await us.leader()) + 1) % us.size
  euNear = ((await eu.leader()) + 1) % eu.size
  await us.lagMember(usNear, LAG_MS)
})

// Writes and quorum reads go to the other members: etcd answers a write sent to the lagging
// member only once that member has applied it, which would hide its lag from the session.
async function open(t: Test, cluster: EtcdCluster, near: number): Promise<EtcdStore> {
  const endpoints = cluster.endpoints.filter((_, i) => i !== near)
  const store = await EtcdStore.open({ endpoints, nearest: cluster.memberEndpoint(near) })
  t.teardown(() => store.close())
  return store
}

/** a session of one mount, with its store for each group */
async function mount(t: Test, mode: ReadMode) {
  const session = new CausalSession({ mode })
  return {
    session,
    us: session.store('us', await open(t, us, usNear)),
    eu: session.store('eu', await open(t, eu, euNear)),
  }
}

/** untilFound reads key through read until it exists (a reader may see a write late, never never) */
async function untilFound(read: () => Promise<{ kv: { value: Buffer } | null }>): Promise<Buffer> {
  for (;;) {
    const { kv } = await read()
    if (kv) return kv.value
    await sleep(2)
  }
}

/** untilApplied waits until the lagging US member itself holds key */
async function untilApplied(near: EtcdStore, key: string): Promise<void> {
  await untilFound(() => near.get(key, { serializable: true }))
}

let run = 0

/** rounds runs the cat.jpg / pets.html scenario and counts the anomalies */
async function catAndPets(t: Test, mode: ReadMode, rounds: number, opts: { recheck?: boolean } = {}) {
  const writer = await mount(t, 'causal')
  const reader = await mount(t, mode)
  const probe = await open(t, us, usNear) // looks at the lagging member directly
  const prefix = `${mode}-${++run}`
  let anomalies = 0
  let recheckedNearest = 0
  for (let i = 0; i < rounds; i++) {
    const cat = `us/${prefix}/cat-${i}.jpg`
    await writer.us.txn([], [{ type: 'put', key: cat, value: 'meow' }])
    const pets = JSON.stringify({ refers: cat, clock: writer.session.token() })
    await writer.eu.txn([], [{ type: 'put', key: `eu/${prefix}/pets-${i}.html`, value: pets }])

    const page = JSON.parse((await untilFound(() => reader.eu.get(`eu/${prefix}/pets-${i}.html`))).toString())
    reader.session.dependsOn(VectorClock.decode(page.clock))
    const found = await reader.us.get(page.refers)
    if (found.kv === null) anomalies++

    if (opts.recheck) {
      // Once the lagging member has caught up, the same read is served by it.
      await untilApplied(probe, cat)
      const before = reader.us.counts.nearest
      t.equal((await reader.us.get(cat)).kv?.value.toString(), 'meow')
      recheckedNearest += reader.us.counts.nearest - before
    }
  }
  return { anomalies, recheckedNearest, us: reader.us.counts, eu: reader.eu.counts }
}

t.test('nearest: the reader sees pets.html but not the cat.jpg it refers to', async t => {
  const r = await catAndPets(t, 'nearest', ROUNDS)
  t.comment(`nearest: ${r.anomalies}/${ROUNDS} anomalies; us ${JSON.stringify(r.us)}, eu ${JSON.stringify(r.eu)}`)
  t.ok(r.anomalies > 0, 'the anomaly shows')
})

t.test('causal: cat.jpg is always there, and caught-up reads stay on the nearest member', async t => {
  const r = await catAndPets(t, 'causal', ROUNDS, { recheck: true })
  t.comment(`causal: ${r.anomalies}/${ROUNDS} anomalies; us ${JSON.stringify(r.us)}, eu ${JSON.stringify(r.eu)}`)
  t.equal(r.anomalies, 0, 'never an effect before its cause')
  t.equal(r.recheckedNearest, ROUNDS, 'every read after the member caught up was served by it')
  t.ok(r.us.fallback > 0, 'reads the lagging member could not serve went to the quorum')
  t.ok(r.eu.nearest > 0, 'EU reads, never behind what the reader knew, stayed on the nearest member')
  t.equal(r.us.quorum + r.eu.quorum, 0)
})

t.test('linearizable: no anomaly, every read by the quorum', async t => {
  const r = await catAndPets(t, 'linearizable', 5)
  t.equal(r.anomalies, 0)
  t.equal(r.us.nearest + r.us.waited + r.us.fallback, 0)
  t.ok(r.us.quorum === 5 && r.eu.quorum >= 5)
})

t.test('causal: a session reads its own writes; nearest may not', async t => {
  const counts: Record<string, number> = {}
  for (const mode of ['nearest', 'causal'] as const) {
    const m = await mount(t, mode)
    let missed = 0
    for (let i = 0; i < 10; i++) {
      const key = `us/ryw-${mode}-${i}`
      await m.us.txn([], [{ type: 'put', key, value: String(i) }])
      if ((await m.us.get(key)).kv?.value.toString() !== String(i)) missed++
    }
    counts[mode] = missed
    t.comment(`${mode}: us ${JSON.stringify(m.us.counts)}`)
  }
  t.comment(`read-your-writes misses: ${JSON.stringify(counts)}`)
  t.ok(counts.nearest > 0, 'nearest misses its own writes')
  t.equal(counts.causal, 0, 'causal never does')
})

t.test('causal: reads never go back in time, whichever member serves them', async t => {
  const writer = await mount(t, 'causal')
  const reader = await mount(t, 'causal')
  const seen: number[] = []
  for (let k = 1; k <= 20; k++) {
    await writer.us.txn([], [{ type: 'put', key: 'us/counter', value: String(k) }])
    // Every other round the reader learns of the write from elsewhere (a token), so its next
    // read goes to the quorum; the read after it must not fall back to the lagging member's past.
    if (k % 2 === 1) await reader.session.catchUp(writer.session.token(), 0)
    for (let j = 0; j < 2; j++) seen.push(Number((await reader.us.get('us/counter')).kv?.value ?? 0))
  }
  t.same(seen, [...seen].sort((a, b) => a - b), `monotonic: ${seen.join(' ')}`)
  t.ok(reader.us.counts.fallback > 0)
})

t.test('causal: a token written on another mount makes the writer\'s writes visible there', async t => {
  const writer = await mount(t, 'causal')
  const reader = await mount(t, 'causal')
  await writer.us.txn([], [{ type: 'put', key: 'us/handed-over', value: 'yes' }])
  await reader.session.catchUp(writer.session.token(), 0)
  t.equal((await reader.us.get('us/handed-over')).kv?.value.toString(), 'yes', 'without waiting, from the quorum')

  await writer.us.txn([], [{ type: 'put', key: 'us/handed-over', value: 'again' }])
  t.equal(await reader.session.catchUp(writer.session.token(), 10 * LAG_MS), true, 'given time, it catches up')
  const before = reader.us.counts.nearest
  t.equal((await reader.us.get('us/handed-over')).kv?.value.toString(), 'again')
  t.equal(reader.us.counts.nearest, before + 1, 'and then serves the read')
})

t.test('without the lag, causal reads are served by the nearest member (at once or after a short wait)', async t => {
  await us.lagMember(usNear, 0)
  const r = await catAndPets(t, 'causal', 10)
  t.comment(`causal, no lag: us ${JSON.stringify(r.us)}, eu ${JSON.stringify(r.eu)}`)
  t.equal(r.anomalies, 0)
  t.ok(r.us.nearest + r.us.waited > 0)
})

t.test('causal: when the nearest member stops answering, reads go to the quorum', async t => {
  const session = new CausalSession()
  const endpoints = us.endpoints.filter((_, i) => i !== usNear)
  const store = await EtcdStore.open({ endpoints, nearest: us.memberEndpoint(usNear), nearestDeadlineMs: 200, attemptMs: 100 })
  t.teardown(() => store.close())
  const s = session.store('us', store)
  await s.txn([], [{ type: 'put', key: 'us/while-paused', value: 'here' }])
  us.pauseMember(usNear)
  t.teardown(() => us.resumeMember(usNear))
  for (let i = 0; i < 3; i++) t.equal((await s.get('us/while-paused')).kv?.value.toString(), 'here')
  t.same(s.counts, { nearest: 0, waited: 0, fallback: 3, quorum: 0 })
})
