// meridian serve --listen: the web status page of a filesystem on a real etcd, with a real
// background mount on it, loaded in headless Chromium (Debian 'chromium', fixtures/setup.sh):
// the page shows the group, the pool, the mount's session and its slow operations (from its
// log), and a screenshot is saved (MERIDIAN_WEB_SCREENSHOT=FILE keeps it, as docs/ shows it).
import t from 'tap'
import { execFile, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startEtcd } from '../fixtures/etcd-cluster'
import { alive } from '../fixtures/file-checks'
import { freePort, startCli } from '../fixtures/cli-process'
import { fuseMounts } from '../lib/fuse/mounts'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const home = mkdtempSync(join(tmpdir(), 'meridian-web-'))
const env = { ...process.env, MERIDIAN_HOME: home }
t.teardown(() => rmSync(home, { recursive: true, force: true }))
const run = promisify(execFile)
const CHROMIUM = spawnSync('chromium', ['--version']).status === 0 ? 'chromium' : undefined

function meridian(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** chromium loads url headless; the page's script gets virtual time to fetch and draw first */
async function chromium(...args: string[]): Promise<string> {
  // --no-sandbox: Chromium refuses to run its sandbox as root (CI runs as root)
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--virtual-time-budget=5000', `--user-data-dir=${join(home, 'chromium')}`]
  const { stdout } = await run(CHROMIUM!, [...flags, ...args], { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 })
  return stdout
}

t.test('the status page in headless Chromium', { skip: CHROMIUM ? false : "chromium not found (Debian package 'chromium', fixtures/setup.sh)" }, async t => {
  const etcd = await startEtcd(t)
  const meta = etcd.endpoints[0].replace('http://', 'etcd://')
  const f = meridian('format', '--meta', meta, '--pool', `eu=local:${join(home, 'pool-eu')}`)
  t.equal(f.code, 0, `format: ${f.err}`)

  const mnt = join(home, 'mnt')
  mkdirSync(mnt)
  const m = meridian('mount', '--background', mnt, '--meta', meta, '--slow-op-ms', '0')
  t.equal(m.code, 0, `mount --background: ${m.err}`)
  const mountPid = Number(/\(pid (\d+)/.exec(m.out)?.[1])
  t.teardown(() => {
    for (const x of fuseMounts().filter(e => e.dir === mnt)) spawnSync('fusermount', ['-uz', x.dir])
    if (alive(mountPid)) process.kill(mountPid, 'SIGKILL')
  })
  // every operation is over 0 ms: the mount logs each as slow
  writeFileSync(join(mnt, 'hello.txt'), 'hello')
  t.equal(await readFile(join(mnt, 'hello.txt'), 'utf8'), 'hello')

  const port = await freePort()
  await startCli(t, ['serve', '--listen', `127.0.0.1:${port}`, '--meta', meta], env, /status page at (http:\S+)/)
  const url = `http://127.0.0.1:${port}/`

  const dom = await chromium('--dump-dom', url)
  t.match(dom, /<body data-loaded="yes">/, 'the script fetched status.json and drew the page')
  t.match(dom, /<h1 id="title">Meridian: meridian<\/h1>/, 'titled by the filesystem')
  t.match(dom, new RegExp(`<td>root</td><td>0</td><td>${meta}</td><td class="good">yes</td><td>\\d+</td>`), 'the root group, reachable, with its revision')
  t.match(dom, /<td>eu<\/td><td>default<\/td><td>local<\/td><td>1<\/td><td class="good">active<\/td>/, 'the pool')
  t.match(dom, new RegExp(`<td>root</td><td>[0-9a-f]{8}</td><td>[^<]*</td><td>${mountPid}</td><td>\\d+ s</td>`), "the mount's session, with its pid and age")
  t.match(dom, /<span id="backlog" class="(good|bad)">\d+ blobs, [\d.]+ MiB<\/span>/, 'the replication backlog')
  t.match(dom, /<td>create<\/td><td>1 \/ hello.txt<\/td><td>\d+<\/td>/, 'the slow operations the mount logged (create of hello.txt in the root directory)')

  const shot = join(home, 'status.png')
  await chromium(`--screenshot=${shot}`, '--window-size=1100,900', url)
  t.ok(statSync(shot).size > 10_000, `a screenshot: ${statSync(shot).size} bytes`)
  const png = (await readFile(shot)).subarray(0, 8)
  t.same([...png], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG')
  if (process.env.MERIDIAN_WEB_SCREENSHOT) copyFileSync(shot, process.env.MERIDIAN_WEB_SCREENSHOT)

  const u = meridian('umount', mnt)
  t.equal(u.code, 0, u.err)
})

t.test('serve never creates a store, and a bad address is one line', async t => {
  const r = meridian('serve', '--listen', '127.0.0.1:1', '--meta', `sqlite://${join(home, 'none.db')}`)
  t.equal(r.code, 2)
  t.match(r.err, /^meridian: meta: no metadata store at .*none\.db\n$/)
  t.throws(() => statSync(join(home, 'none.db')), 'no database file made')
  const bad = meridian('serve', '--listen', 'here')
  t.equal(bad.code, 2)
  t.match(bad.err, /^meridian: listen: 'here' is not HOST:PORT, :PORT or PORT\n$/)
})
