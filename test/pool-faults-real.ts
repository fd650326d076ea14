// Pool faults from the kernel itself rather than injected (test/pool-faults.ts has those): a
// local pool on a 1 MiB tmpfs that fills up, then is remounted read-only. Through lib/fs on the
// embedded store: with a second pool the writes go there; as the only pool, fsync fails with
// ENOSPC, then EROFS; what was committed before reads back. Needs root (mount); skipped otherwise.
import t from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Filesystem } from '../lib/fs/filesystem'
import type { MetaStore } from '../lib/meta/store'
import { embedded } from '../fixtures/meta-engines'
import { readFiles, withMount, writeSynced } from '../fixtures/placed-files'

const run = promisify(execFile)
const opts = { name: 'r' }

async function tmpfs(t: tap.Test, dir: string): Promise<void> {
  mkdirSync(dir)
  await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'meridian-test', dir])
  t.teardown(() => run('umount', ['-l', dir]).catch(() => undefined))
}

async function setUp(t: tap.Test, pools: Record<string, string>): Promise<MetaStore> {
  const { store } = await embedded.start(t)
  const config = Object.fromEntries(Object.entries(pools).map(([name, path]) => [name, { driver: 'local', path }]))
  await Filesystem.format(store, { name: 'r', pools: config, blockSize: 64 * 1024 })
  return store
}

t.test('a real full and read-only pool', { skip: process.getuid?.() === 0 ? undefined : 'needs root to mount a tmpfs' }, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-real-faults-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const small = join(dir, 'small')
  await tmpfs(t, small)

  t.test('full, with another pool: the writes go there', async t => {
    const store = await setUp(t, { small: join(small, 'a'), big: join(dir, 'big') })
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}`, randomBytes(400_000)]))
    const results = await withMount(store, opts, async fs => {
      const out: string[] = []
      for (const [name, data] of Object.entries(files)) out.push(await writeSynced(fs, name, data))
      return out
    })
    t.same(results, results.map(() => 'ok'), `2.4 MB written with a 1 MiB pool first: ${results.join(', ')}`)
    t.same(await withMount(store, opts, fs => readFiles(fs, Object.keys(files))), Object.values(files), 'every file reads back')
    rmSync(join(small, 'a'), { recursive: true, force: true })
  })

  t.test('full, the only pool: ENOSPC; then read-only: EROFS; the committed file stays', async t => {
    const store = await setUp(t, { small: join(small, 'b') })
    const committed = randomBytes(200_000)
    const results = await withMount(store, opts, async fs => [
      await writeSynced(fs, 'committed', committed),
      await writeSynced(fs, 'too-big', randomBytes(2 * 1024 * 1024)),
    ])
    t.same(results, ['ok', 'ENOSPC'], 'a file that fits, then one that does not: ENOSPC')
    await run('mount', ['-o', 'remount,ro', small])
    const readOnly = await withMount(store, opts, fs => writeSynced(fs, 'late', randomBytes(10_000)))
    t.equal(readOnly, 'EROFS', 'with the pool remounted read-only: EROFS')
    t.same(await withMount(store, opts, fs => readFiles(fs, ['committed'])), [committed], 'the committed file reads back')
  })
})
