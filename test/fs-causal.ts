// Causal reads through lib/fs across two metadata groups on real etcd clusters (DESIGN §4):
// a writer mount creates /us/cat-N, then /eu/pets-N; the inode of pets-N carries the
// writer's clock. Reader mounts whose nearest US member lags behind look up pets-N, then
// cat-N. Reading nearest unchecked, cat-N is missing although pets-N came after it; reading
// causally it is always there.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ReadMode } from '../lib/causal'
import { openFilesystem } from '../lib/client/open'
import { addGroup } from '../lib/fs/config'
import { Filesystem } from '../lib/fs/filesystem'
import { Keys } from '../lib/fs/schema'
import { openStore } from '../lib/meta'
import type { MetaStore } from '../lib/meta/store'
import { startEtcd, type EtcdCluster } from '../fixtures/etcd-cluster'

const LAG_MS = 250 // well past a causal read's wait bound (50 ms), so it falls back to the quorum
const ROUNDS = 15
const root = { uid: 0, gid: 0 }
const hostOf = (endpoint: string) => endpoint.replace(/^http:\/\//, '')

let rootStore: MetaStore
let us: EtcdCluster
let usNear: number

t.before(async () => {
  const [r, u, e] = await Promise.all([startEtcd(t, { members: 1 }), startEtcd(t, { members: 3, peerProxies: true }), startEtcd(t, { members: 3 })])
  us = u
  rootStore = await openStore(`etcd://${r.endpoints.map(hostOf).join(',')}`)
  t.teardown(() => rootStore.close())
  const pool = mkdtempSync(join(tmpdir(), 'meridian-pool-'))
  t.teardown(() => rmSync(pool, { recursive: true, force: true }))
  await Filesystem.format(rootStore, { name: 'meridian', pools: { local: { driver: 'local', path: pool } } })
  usNear = ((await us.leader()) + 1) % us.size
  // writes go to the other members: etcd answers a write sent to a lagging member only once
  // that member has applied it, which would hide its lag
  const urls = {
    us: `etcd://${us.endpoints.filter((_, i) => i !== usNear).map(hostOf).join(',')}`,
    eu: `etcd://${e.endpoints.map(hostOf).join(',')}`,
  }
  for (const [g, url] of Object.entries(urls)) {
    const s = await openStore(url)
    await addGroup(rootStore, s, new Keys('meridian'), g, url)
    await s.close()
  }
  const fs = await openFilesystem(rootStore)
  await fs.addPartition('/eu', 'eu')
  await fs.addPartition('/us', 'us')
  await fs.close()
  await us.lagMember(usNear, LAG_MS)
})

async function mount(t: Test, reads: ReadMode, nearest?: Record<string, string>): Promise<Filesystem> {
  const fs = await openFilesystem(rootStore, { reads, nearest })
  t.teardown(() => fs.close())
  return fs
}

/** catAndPets runs the scenario ROUNDS times and counts the rounds where pets-N was found and cat-N was not */
async function catAndPets(t: Test, reads: ReadMode): Promise<number> {
  const writer = await mount(t, 'causal')
  const reader = await mount(t, reads, { us: hostOf(us.memberEndpoint(usNear)) })
  const eu = (await writer.resolve('/eu')).ino
  const usTop = (await writer.resolve('/us')).ino
  let anomalies = 0
  for (let i = 0; i < ROUNDS; i++) {
    const tag = `${reads}-${i}`
    await writer.release((await writer.create(usTop, `cat-${tag}`, 0o644, 2, root)).fh)
    await writer.release((await writer.create(eu, `pets-${tag}`, 0o644, 2, root)).fh)
    // a reader may see a write late, never never: give up (and fail) rather than wait forever
    for (const giveUp = Date.now() + 20_000; !(await reader.resolve(`/eu/pets-${tag}`).catch(() => undefined)); await sleep(2)) {
      if (Date.now() > giveUp) throw new Error(`round ${i}: pets-${tag} not found after 20 s`)
    }
    const cat = await reader.resolve(`/us/cat-${tag}`).catch((err: { code?: string }) => err.code)
    if (cat === 'ENOENT') anomalies++
    else t.ok(typeof cat === 'object', `round ${i}: cat-${tag} found`)
  }
  return anomalies
}

t.test('reading nearest unchecked, an effect shows before its cause', { timeout: 120_000 }, async t => {
  const anomalies = await catAndPets(t, 'nearest')
  t.ok(anomalies > 0, `pets-N seen without cat-N in ${anomalies} of ${ROUNDS} rounds`)
})

t.test('reading causally, never', { timeout: 120_000 }, async t => {
  t.equal(await catAndPets(t, 'causal'), 0, 'cat-N found in every round where pets-N was')
})
