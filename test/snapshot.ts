// Consistent snapshots (lib/snapshot): a snapshot taken while cross-group renames run is a
// state that existed (every token moved between the groups is there exactly once), it keeps
// its blobs from gc until it is removed, and the CLI mounts one read-only through FUSE.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openFilesystem } from '../lib/client/open'
import { openShared } from '../lib/client/shared-stores'
import { openSnapshot } from '../lib/client/snapshot'
import { openPool } from '../drivers'
import { BlobStore } from '../lib/data/blob-store'
import { addGroup } from '../lib/fs/config'
import { Filesystem } from '../lib/fs/filesystem'
import { Keys } from '../lib/fs/schema'
import { fuseMounts } from '../lib/fuse/mounts'
import { openStore, type MetaStore } from '../lib/meta'
import { EmbeddedStore } from '../lib/meta/embedded'
import { openPlacedPools } from '../lib/placement/placed-pools'
import { collectGarbage } from '../lib/replicator/gc'
import { createSnapshot, listSnapshots, removeSnapshot } from '../lib/snapshot/catalogue'

const root = { uid: 0, gid: 0 }
const O_RDWR = 2
const TOKENS = 4

interface World {
  store: MetaStore
  fs: Filesystem
  name: string
  pool: string
}

/** a filesystem on an embedded root with groups eu and us (partitions /eu, /us), opened once */
async function world(t: Test, name = 'snap'): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-snapshot-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const store = await EmbeddedStore.open({ path: join(dir, 'root.db') })
  t.teardown(() => store.close())
  const pool = join(dir, 'pool')
  await Filesystem.format(store, { name, pools: { local: { driver: 'local', path: pool } } })
  for (const g of ['eu', 'us']) {
    const url = `sqlite://${join(dir, `${g}.db`)}`
    const s = await openStore(url)
    await addGroup(store, s, new Keys(name), g, url)
    await s.close()
  }
  const fs = await openFilesystem(store, { name })
  t.teardown(() => fs.close())
  await fs.addPartition('/eu', 'eu')
  await fs.addPartition('/us', 'us')
  return { store, fs, name, pool }
}

async function writeFile(fs: Filesystem, parent: number, name: string, text: string): Promise<void> {
  const { fh } = await fs.create(parent, name, 0o644, O_RDWR, root)
  await fs.write(fh, 0, Buffer.from(text))
  await fs.release(fh)
}

async function readFile(fs: Filesystem, path: string): Promise<string> {
  const fh = await fs.open((await fs.resolve(path)).ino, 0, root)
  try {
    return (await fs.read(fh, 0, 1 << 20)).toString()
  } finally {
    await fs.release(fh)
  }
}

/** snapshot takes snapshot `snap` in this process, sharing the group stores the filesystem has open */
async function snapshot(w: World, snap: string) {
  const { pools, placement } = await openPlacedPools(w.store, w.name)
  const blobs = new BlobStore(pools, { placement })
  try {
    return await createSnapshot(w.store, w.name, snap, blobs, url => openShared(url, 5_000))
  } finally {
    await blobs.close()
  }
}

t.test('a snapshot taken during cross-group renames is a state that existed', async t => {
  const w = await world(t)
  const eu = (await w.fs.resolve('/eu')).ino
  const us = (await w.fs.resolve('/us')).ino
  for (let i = 0; i < TOKENS; i++) await writeFile(w.fs, eu, `token${i}`, `token ${i}`)
  await writeFile(w.fs, 1, 'before', 'taken before the snapshot')

  // tokens hop between the groups (each hop one cross-group transaction) while the snapshot is cut
  let stop = false
  let hops = 0
  const where = Array.from({ length: TOKENS }, () => eu)
  const movers = Array.from({ length: TOKENS }, async (_, i) => {
    while (!stop) {
      const to = where[i] === eu ? us : eu
      await w.fs.rename(where[i], `token${i}`, to, `token${i}`, root)
      where[i] = to
      hops++
      // the embedded stores answer without I/O: let timers (and the snapshot) run between hops
      await new Promise(resolve => setImmediate(resolve))
    }
  })
  while (hops < 8) await new Promise(r => setTimeout(r, 5))
  const record = await snapshot(w, 's1')
  const hopsAtSnapshot = hops
  while (hops < hopsAtSnapshot + 8) await new Promise(r => setTimeout(r, 5))
  stop = true
  await Promise.all(movers)
  await writeFile(w.fs, 1, 'after', 'written after the snapshot')
  await w.fs.setattr((await w.fs.resolve('/before')).ino, { size: 0 }, root)
  t.same(Object.keys(record.groups).sort(), ['0', '1', '2'], 'every group is cut')

  const snap = await openSnapshot(w.store, 's1', { name: w.name })
  t.teardown(() => snap.close())
  const names = async (p: string) => (await snap.readdir((await snap.resolve(p)).ino)).map(e => e.name).filter(n => n.startsWith('token'))
  const seen = [...(await names('/eu')), ...(await names('/us'))].sort()
  t.same(seen, Array.from({ length: TOKENS }, (_, i) => `token${i}`), `each token exactly once across both groups (${hops} hops ran)`)
  for (const n of seen) {
    const dir = (await names('/eu')).includes(n) ? '/eu' : '/us'
    t.equal(await readFile(snap, `${dir}/${n}`), `token ${n.slice(5)}`, `${dir}/${n} reads as written`)
  }
  t.equal(await readFile(snap, '/before'), 'taken before the snapshot', 'a later truncate does not reach the snapshot')
  await t.rejects(snap.resolve('/after'), { code: 'ENOENT' }, 'a file made after the snapshot is not in it')
  t.equal(await readFile(w.fs, '/before'), '', 'the live filesystem has the change')
  await t.rejects(snapshot(w, 's1'), { code: 'EEXIST' }, 'a snapshot name is taken once')
})

t.test('a snapshot keeps its blobs from gc until it is removed', async t => {
  const w = await world(t, 'gc')
  const eu = (await w.fs.resolve('/eu')).ino
  await writeFile(w.fs, eu, 'kept', 'only the snapshot has me soon')
  await snapshot(w, 'keep')
  await w.fs.unlink(eu, 'kept', root)
  await w.fs.close() // gc opens the embedded groups itself
  const driver = await openPool({ driver: 'local', path: w.pool })
  t.teardown(() => driver.close())
  const drivers = new Map([['local', driver]])
  const blobsHeld = async () => { const ids = []; for await (const id of driver.list()) ids.push(id); return ids.length }
  const before = await blobsHeld()
  for (let pass = 0; pass < 2; pass++) await collectGarbage(w.store, w.name, drivers, { graceMs: 0 })
  t.equal(await blobsHeld(), before, 'gc deletes nothing a snapshot references')
  const snap = await openSnapshot(w.store, 'keep', { name: w.name })
  t.equal(await readFile(snap, '/eu/kept'), 'only the snapshot has me soon', 'the snapshot still reads the unlinked file')
  await snap.close()

  await removeSnapshot(w.store, w.name, 'keep')
  t.same(await listSnapshots(w.store, w.name), [], 'removed')
  for (let pass = 0; pass < 2; pass++) await collectGarbage(w.store, w.name, drivers, { graceMs: 0 })
  t.ok(await blobsHeld() < before, 'once removed, gc frees its blobs')
  await t.rejects(removeSnapshot(w.store, w.name, 'keep'), { code: 'ENOENT' })
})

t.test('the CLI creates, lists, mounts read-only and removes a snapshot', async t => {
  const home = mkdtempSync(join(tmpdir(), 'meridian-snapshot-home-'))
  const env = { ...process.env, MERIDIAN_HOME: home }
  const bin = join(__dirname, '..', 'bin', 'meridian.js')
  const mnt = join(home, 'snap')
  t.teardown(() => {
    for (const m of fuseMounts().filter(e => e.dir.startsWith(home))) spawnSync('fusermount', ['-uz', m.dir])
    rmSync(home, { recursive: true, force: true })
  })
  const meridian = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 })
    return { code: r.status, out: r.stdout, err: r.stderr }
  }
  t.equal(meridian('format').code, 0)
  const live = join(home, 'live')
  mkdirSync(live)
  const up = meridian('mount', '--background', live)
  t.equal(up.code, 0, `the live filesystem mounts: ${up.err}`)
  writeFileSync(join(live, 'hello'), 'as it was')
  t.equal(meridian('umount', live).code, 0)

  const made = meridian('snapshot', 'create', 'monday', '--json')
  t.equal(made.code, 0, made.err)
  t.equal(JSON.parse(made.out).name, 'monday')
  const again = meridian('snapshot', 'create', 'monday')
  t.not(again.code, 0, 'a second snapshot of the same name is refused')
  t.match(again.err, /monday.*exists already/)
  t.match(meridian('snapshot', 'ls').out, /^monday\t/m)

  t.equal(meridian('mount', '--background', live).code, 0)
  writeFileSync(join(live, 'hello'), 'changed since')
  t.equal(meridian('umount', live).code, 0)
  const m = meridian('mount', '--background', '--snapshot', 'monday', mnt)
  t.equal(m.code, 0, m.err)
  t.same(readdirSync(mnt), ['hello'])
  t.equal(readFileSync(join(mnt, 'hello'), 'utf8'), 'as it was', 'the snapshot shows the file as it was')
  t.throws(() => writeFileSync(join(mnt, 'hello'), 'no'), { code: 'EROFS' }, 'a snapshot mount is read-only')
  t.equal(meridian('umount', mnt).code, 0)

  const bad = meridian('mount', '--background', '--snapshot', 'tuesday', mnt)
  t.not(bad.code, 0, 'an unknown snapshot is refused')
  t.match(bad.err + bad.out, /tuesday/)
  t.equal(meridian('snapshot', 'rm', 'monday').code, 0)
  t.match(meridian('snapshot', 'ls').out, /no snapshots/)
})
