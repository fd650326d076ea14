// A rename between two partitions, killed at every step of the cross-group protocol
// (MERIDIAN_FAILPOINTS, lib/txn/failpoints.ts) in a child process: afterwards `fsck --repair`
// settles what the crash left, fsck is clean, and the file is at exactly one of its names,
// the old one when the crash came before the commit and the new one from the commit on.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { openFilesystem } from '../lib/client/open'
import { addGroup, listGroups } from '../lib/fs/config'
import { Filesystem } from '../lib/fs/filesystem'
import { Keys } from '../lib/fs/schema'
import { fsck } from '../lib/fsck/check'
import { openStore } from '../lib/meta'
import type { MetaStore } from '../lib/meta/store'
import { FAILPOINTS as F } from '../lib/txn/failpoints'

const child = join(__dirname, '..', 'fixtures', 'fs-xgroup-child.js')
const root = { uid: 0, gid: 0 }
// the groups as lib/txn names them: eu is group 1 (it coordinates: the rename writes there first), us group 2
const CASES: Array<{ failpoint: string; moved: boolean }> = [
  { failpoint: F.afterRecord, moved: false },
  { failpoint: F.afterPrepare('1'), moved: false },
  { failpoint: F.afterPrepare('2'), moved: false },
  { failpoint: F.afterCommit, moved: true },
  { failpoint: F.afterApply('1'), moved: true },
  { failpoint: F.afterApply('2'), moved: true },
  { failpoint: F.afterClear, moved: true },
]

async function seed(dir: string): Promise<void> {
  const store = await openStore(`sqlite://${join(dir, 'root.db')}`)
  await Filesystem.format(store, { name: 'meridian', pools: { local: { driver: 'local', path: join(dir, 'pool') } } })
  for (const g of ['eu', 'us']) {
    const url = `sqlite://${join(dir, `${g}.db`)}`
    const s = await openStore(url)
    await addGroup(store, s, new Keys('meridian'), g, url)
    await s.close()
  }
  const fs = await openFilesystem(store)
  await fs.addPartition('/eu', 'eu')
  await fs.addPartition('/us', 'us')
  const { fh } = await fs.create((await fs.resolve('/eu')).ino, 'f', 0o644, 2, root)
  await fs.write(fh, 0, Buffer.from('one file, one place'))
  await fs.release(fh)
  await fs.close()
  await store.close()
}

async function repairAndCheck(t: Test, dir: string): Promise<void> {
  const store = await openStore(`sqlite://${join(dir, 'root.db')}`)
  const groups = new Map<number, MetaStore>()
  try {
    for (const g of await listGroups(store, new Keys('meridian'))) groups.set(g.id, await openStore(g.url))
    const repaired = await fsck(store, 'meridian', { groups, repair: true })
    t.same(repaired.problems, [], 'fsck --repair leaves the filesystem consistent')
    const again = await fsck(store, 'meridian', { groups })
    t.ok(again.ok && !again.repaired, 'and a second fsck finds nothing')
  } finally {
    for (const s of groups.values()) await s.close()
    await store.close()
  }
}

async function where(dir: string): Promise<string[]> {
  const store = await openStore(`sqlite://${join(dir, 'root.db')}`)
  const fs = await openFilesystem(store)
  try {
    const found: string[] = []
    for (const path of ['/eu/f', '/us/f']) {
      const attr = await fs.resolve(path).catch(() => undefined)
      if (!attr) continue
      const fh = await fs.open(attr.ino, 0, root)
      found.push(`${path}: ${(await fs.read(fh, 0, 100)).toString()}`)
      await fs.release(fh)
    }
    return found
  } finally {
    await fs.close()
    await store.close()
  }
}

for (const c of CASES) {
  t.test(`killed at ${c.failpoint}`, async t => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-xgroup-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    await seed(dir)
    const r = spawnSync(process.execPath, [child, dir], { env: { ...process.env, MERIDIAN_FAILPOINTS: `${c.failpoint}=crash` }, encoding: 'utf8', timeout: 60_000 })
    t.equal(r.signal, 'SIGKILL', `the child died at the failpoint ${r.stderr}`)
    await sleep(400) // past the child's 300 ms deadline: its pending transaction may be aborted
    await repairAndCheck(t, dir)
    t.same(await where(dir), [`${c.moved ? '/us/f' : '/eu/f'}: one file, one place`], c.moved ? 'renamed entirely' : 'not renamed at all')
  })
}
