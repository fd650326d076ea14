// The low-level binding with the kernel's writeback cache (Mount option writebackCache,
// `-o writeback_cache`): small writes are merged by the kernel before they reach JavaScript,
// and the whole POSIX table still passes through such a mount (appends, write-only opens,
// mmap, times and sizes that the kernel now keeps while pages are dirty).
import t from 'tap'
import { execFile } from 'node:child_process'
import { chmod, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { startEtcd } from '../fixtures/etcd-cluster'
import { mountExisting, mountMeridian, type MeridianMount } from '../fixtures/mount'
import { parseMountOptions } from '../lib/cli/mount-options'
import { Filesystem } from '../lib/fs/filesystem'
import { openStore } from '../lib/meta'
import { posixSuite } from '../fixtures/posix-suite'

const run = promisify(execFile)
const WRITES = 1000
const BYTES = 100

let m: MeridianMount
t.before(async () => {
  m = await mountMeridian(t, { mount: { writebackCache: true, allowOther: true } })
  await chmod(m.root, 0o755)
})

t.test('meridian mount -o writeback_cache asks for it', async t => {
  t.equal(parseMountOptions('writeback_cache,noatime').mount.writebackCache, true)
  t.equal(parseMountOptions('noatime').mount.writebackCache, undefined, 'off unless asked')
})

t.test('small writes are merged by the kernel; appends and contents stay right', async t => {
  const f = join(m.dir, 'small')
  const before = m.mount.counts.write ?? 0
  await run('dd', ['if=/dev/zero', `of=${f}`, `bs=${BYTES}`, `count=${WRITES}`, 'status=none'])
  const requests = (m.mount.counts.write ?? 0) - before
  t.ok(requests < WRITES / 10, `${WRITES} writes of ${BYTES} bytes reached JavaScript as ${requests} write requests`)
  t.equal((await stat(f)).size, WRITES * BYTES, 'the whole size')
  await run('sh', ['-c', `echo tail >> ${f}`])
  const data = await readFile(f)
  t.equal(data.length, WRITES * BYTES + 5, 'an append lands at the end')
  t.equal(data.subarray(WRITES * BYTES).toString(), 'tail\n', 'with its bytes')
  await m.remount() // a fresh kernel cache: what lib/fs stored
  t.equal((await readFile(f)).subarray(WRITES * BYTES - 2).toString('hex'), '00007461696c0a', 'stored as written')
})

t.test('close-to-open between two writeback mounts: what one closed, the other reads, also after a rewrite of the same size', async t => {
  const etcd = await startEtcd(t)
  const url = `etcd://${etcd.endpoints.map(e => e.replace('http://', '')).join(',')}`
  const pool = await mkdtemp(join(tmpdir(), 'meridian-pool-'))
  t.teardown(() => rm(pool, { recursive: true, force: true }))
  const stores = await Promise.all([openStore(url), openStore(url)])
  for (const s of stores) t.teardown(() => s.close())
  await Filesystem.format(stores[0], { name: 'wb', pools: { local: { driver: 'local', path: pool } } })
  const [A, B] = [await mountExisting(t, stores[0], 'wb', { writebackCache: true }), await mountExisting(t, stores[1], 'wb', { writebackCache: true })]
  for (const [n, [from, to]] of [[A, B], [A, B], [B, A]].entries()) {
    const text = `round ${n} `.repeat(50)
    await run('sh', ['-c', `for i in 1 2 3 4 5; do printf '%s' '${text.slice(0, 100)}'; done > ${join(from.dir, 'shared')}; printf '%s' '${text.slice(100)}' >> ${join(from.dir, 'shared')}`])
    t.equal(await readFile(join(to.dir, 'shared'), 'utf8'), text.slice(0, 100).repeat(5) + text.slice(100), `round ${n}: the other mount reads what was closed`)
  }
  await writeFile(join(A.dir, 'plain'), 'x')
  t.equal(await readFile(join(B.dir, 'plain'), 'utf8'), 'x', 'a whole-file write too')
})

posixSuite(t, () => m.dir)
