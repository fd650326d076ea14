// Pool faults through lib/fs on the embedded store (issue 13 item 3): three pools, each a fault
// pool (fixtures/fault-driver.ts) over a local directory, blobs kept twice (replicas 2, sync 2).
// One pool full, read-only, failing with EIO or hanging: writes go to the other pools, every
// file committed before reads back, reads fall back to the other copy within the pool deadline;
// a corrupt copy is never returned; every pool refusing a write gives that errno, not EIO.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Filesystem } from '../lib/fs/filesystem'
import type { MetaStore } from '../lib/meta/store'
import { PlacementStore } from '../lib/placement/placement-config'
import { ReplicationQueue } from '../lib/placement/replication-queue'
import { setFault, type Fault } from '../fixtures/fault-driver'
import { embedded } from '../fixtures/meta-engines'
import { readFiles, withMount, writeSynced } from '../fixtures/placed-files'
import type { ClientOptions } from '../lib/client/open'

const POOLS = ['p0', 'p1', 'p2']
/** the pool deadline in these tests: a hanging pool costs each read this long at most */
const POOL_TIMEOUT_MS = 1_500
const opts: ClientOptions = { name: 'f', poolTimeoutMs: POOL_TIMEOUT_MS }
export const faultModule = join(__dirname, '..', 'fixtures', 'fault-driver.js')

interface Setup {
  store: MetaStore
  /** control file of each pool */
  control: Record<string, string>
}

async function setUp(t: tap.Test): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-faults-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { store } = await embedded.start(t)
  const control = Object.fromEntries(POOLS.map(p => [p, join(dir, `${p}.json`)]))
  const config = (p: string) => ({ driver: 'fault', module: faultModule, path: join(dir, p), control: control[p] })
  await Filesystem.format(store, { name: 'f', pools: { p0: config('p0') }, blockSize: 64 * 1024 })
  await new PlacementStore(store, 'f').update(c => ({
    ...c,
    pools: POOLS.map(name => ({ name, site: 'dc', weight: 1, state: 'active' as const, config: config(name) })),
    rules: [{ path: '/', policy: { replicas: 2, sync: 2, spread: 'pool' } }],
  }))
  return { store, control }
}

const files = (tag: string) => Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`${tag}-${i}`, randomBytes(150_000 + i * 9_000)]))

async function writeAll(fs: Filesystem, set: Record<string, Buffer>): Promise<void> {
  for (const [name, data] of Object.entries(set)) {
    const result = await writeSynced(fs, name, data)
    if (result !== 'ok') throw new Error(`writing ${name}: ${result}`)
  }
}

async function readsBack(t: tap.Test, store: MetaStore, set: Record<string, Buffer>, what: string): Promise<void> {
  const got = await withMount(store, opts, fs => readFiles(fs, Object.keys(set)))
  t.ok(got.every((g, i) => g.equals(Object.values(set)[i])), `${what}: ${got.length} files read back byte for byte`)
}

for (const fault of ['full', 'readonly', 'eio', 'hang'] as Fault[]) {
  t.test(`one pool ${fault}: writes go to the others, nothing committed is lost, reads fall back`, async t => {
    const { store, control } = await setUp(t)
    const before = files('before')
    await withMount(store, opts, fs => writeAll(fs, before))
    setFault(control.p0, fault)
    const during = files('during')
    const started = Date.now()
    await withMount(store, opts, fs => writeAll(fs, during))
    t.pass(`writes with p0 ${fault} succeeded (${Date.now() - started} ms)`)
    const reading = Date.now()
    await readsBack(t, store, { ...before, ...during }, `with p0 ${fault}`)
    t.comment(`reads with p0 ${fault}: ${Date.now() - reading} ms`)
    setFault(control.p0, 'none')
    await readsBack(t, store, { ...before, ...during }, 'after p0 recovered')
    const queued = await new ReplicationQueue(store, 'f').backlog()
    t.ok(queued.blobs > 0, `blobs written elsewhere while p0 was ${fault} are queued for the replicator (${queued.blobs})`)
  })
}

t.test('a corrupt copy is detected, never returned, and queued for repair', async t => {
  const { store, control } = await setUp(t)
  const before = files('before')
  await withMount(store, opts, fs => writeAll(fs, before))
  setFault(control.p0, 'corrupt')
  await readsBack(t, store, before, 'with p0 returning corrupt bytes')
  t.ok((await new ReplicationQueue(store, 'f').backlog()).blobs > 0, 'the corrupt copies are queued for repair')
  for (const p of POOLS) setFault(control[p], 'corrupt')
  const codes = await withMount(store, opts, async fs => {
    const out: string[] = []
    for (const name of Object.keys(before)) out.push(await readFiles(fs, [name]).then(() => 'read', (err: NodeJS.ErrnoException) => err.code ?? String(err)))
    return out
  })
  t.same(codes, Object.keys(before).map(() => 'EIO'), 'with every copy corrupt, each read fails with EIO rather than return wrong bytes')
  for (const p of POOLS) setFault(control[p], 'none')
  await readsBack(t, store, before, 'after the corruption stopped')
})

for (const [fault, code] of [['full', 'ENOSPC'], ['readonly', 'EROFS'], ['eio', 'EIO'], ['hang', 'ETIMEDOUT']] as Array<[Fault, string]>) {
  t.test(`every pool ${fault}: a write fails with ${code}, what was committed stays`, async t => {
    const { store, control } = await setUp(t)
    const before = files('before')
    await withMount(store, opts, fs => writeAll(fs, before))
    for (const p of POOLS) setFault(control[p], fault)
    const failed = await withMount(store, opts, fs => writeSynced(fs, 'late', randomBytes(100_000)))
    t.equal(failed, code, `fsync failed with ${code}`)
    for (const p of POOLS) setFault(control[p], 'none')
    await readsBack(t, store, before, `after every pool was ${fault}`)
  })
}
