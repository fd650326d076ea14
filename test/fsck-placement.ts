// The placement promise end to end: three local pools in two sites, two replicas spread by
// site; after writes and a replicator pass every blob has its two copies; with one pool's
// directory deleted whole every file still reads, fsck reports the lost copies, and
// fsck --repair restores every replica count.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { check } from '../lib/cli/fsck'
import { Filesystem } from '../lib/fs/filesystem'
import { openStore, type MetaStore } from '../lib/meta'
import { PlacementStore } from '../lib/placement/placement-config'
import { referencedBlobs } from '../lib/replicator/blob-refs'
import { readFiles, withMount, writeFiles } from '../fixtures/placed-files'

const dir = mkdtempSync(join(tmpdir(), 'meridian-fsck-placement-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const meta = `sqlite://${join(dir, 'meta.db')}`
const placed = { name: 'p' }

async function withStore<T>(fn: (store: MetaStore) => Promise<T>): Promise<T> {
  const store = await openStore(meta)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}

const kinds = (r: { problems: Array<{ kind: string }> }) => [...new Set(r.problems.map(p => p.kind))].sort()

t.test('lose a pool, still read, fsck finds it, fsck --repair restores it', async t => {
  const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}`, randomBytes(70_000 + i)]))
  await withStore(async store => {
    await Filesystem.format(store, { name: 'p', pools: { eu1: { driver: 'local', path: join(dir, 'eu1') } }, blockSize: 64 * 1024 })
    await new PlacementStore(store, 'p').update(c => ({
      ...c,
      pools: [
        { ...c.pools[0], site: 'eu' },
        { name: 'eu2', site: 'eu', weight: 1, state: 'active', config: { driver: 'local', path: join(dir, 'eu2') } },
        { name: 'us1', site: 'us', weight: 1, state: 'active', config: { driver: 'local', path: join(dir, 'us1') } },
      ],
      rules: [{ path: '/', policy: { replicas: 2, sync: 1, spread: 'site' } }],
    }))
    await withMount(store, placed, fs => writeFiles(fs, files))
  })
  const before = await check({ meta, name: 'p' })
  t.same(kinds(before), ['under-replicated'], 'sync 1 of 2: the second copies are still to make')
  const repaired = await check({ meta, name: 'p', repair: true })
  t.ok(repaired.ok, `after --repair: ${JSON.stringify(repaired.problems.slice(0, 2))}`)
  t.equal(repaired.replicated?.copies, before.problems.length, 'one copy made per missing copy')

  await rm(join(dir, 'us1'), { recursive: true, force: true })
  t.same(await withStore(store => withMount(store, placed, fs => readFiles(fs, Object.keys(files)))), Object.values(files), 'every file reads with us1 gone')
  const lost = await check({ meta, name: 'p' })
  t.same(kinds(lost), ['under-replicated'])
  t.equal(lost.problems.length, repaired.blobs, 'every blob lost its us copy')
  const restored = await check({ meta, name: 'p', repair: true })
  t.ok(restored.ok, 'fsck --repair restores every replica count')
  t.equal(restored.replicated?.copies, repaired.blobs)

  const [problem] = (await check({ meta, name: 'p', verify: true })).problems
  t.equal(problem, undefined, '--verify finds every copy good')
  const [some] = [...(await withStore(store => referencedBlobs(store, 'p'))).keys()]
  for (const pool of ['eu1', 'eu2', 'us1']) {
    const file = join(dir, pool, some.slice(7, 9), some.slice(9, 11), some)
    const held: string[] = await readdir(join(dir, pool, some.slice(7, 9), some.slice(9, 11))).catch(() => [])
    if (held.includes(some)) {
      await writeFile(file, 'corrupt')
      break
    }
  }
  const corrupt = await check({ meta, name: 'p', verify: true })
  t.same(kinds(corrupt), ['corrupt-copy', 'under-replicated'], 'a corrupt copy is found and counts as lost')
  const fixed = await check({ meta, name: 'p', repair: true, verify: true })
  t.ok(fixed.ok, `and --repair --verify replaces it from the good copy: ${JSON.stringify(fixed.problems)}`)
  t.equal(fixed.replicated?.copies, 1)
})
