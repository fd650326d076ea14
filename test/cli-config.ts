// The configuration file: a table of bad files (each refused in one line naming the file, the
// field and what is allowed, before anything runs), flags overriding the file, the default
// file in the Meridian home, a tunable reaching a real mount, and the docs table of tunables
// matching lib/config/tunables.ts.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { alive } from '../fixtures/file-checks'
import { loadConfig } from '../lib/config/load'
import { DEFAULTS, TUNABLES } from '../lib/config/tunables'
import { fuseMounts, isMounted } from '../lib/fuse/mounts'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const home = mkdtempSync(join(tmpdir(), 'meridian-config-'))
const pids = new Set<number>()
t.teardown(() => {
  for (const m of fuseMounts().filter(e => e.dir.startsWith(home))) spawnSync('fusermount', ['-uz', m.dir])
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(home, { recursive: true, force: true })
})

function meridian(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, MERIDIAN_HOME: home }, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

let n = 0
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
function file(text: string): string {
  const path = join(home, `c${n++}.yaml`)
  writeFileSync(path, text)
  return path
}

t.test('bad files: one line naming the file, the field and what is allowed; nothing created', async t => {
  const cases: Array<[string, string]> = [
    ['meta: [unclosed', 'not valid YAML at line 1'],
    ['metta: sqlite:///x.db', 'metta: is not a known field (known: meta, name, tuning, mount, format, fsck, gc, replicate, pool-scan)'],
    ['- a\n- b', '(top level): must be object'],
    ["name: 'a b'", "name: 'a b' must match pattern"],
    ['meta: 5', 'meta: must be string'],
    ['mount: { reads: sometimes }', 'mount.reads: must be one of causal, linearizable, nearest'],
    ['mount: { attr-timeout: -1 }', 'mount.attr-timeout: must be >= 0'],
    ['mount: { allow-other: maybe }', 'mount.allow-other: must be boolean'],
    ['mount: { binding: fuse9 }', 'mount.binding: must be one of lowlevel, fuse-native'],
    ['mount: { nearest: [eu] }', "mount.nearest.0: 'eu' must match pattern"],
    ['mount: { options: "noatime,bogus" }', "mount.options: unknown mount option 'bogus' (known: ro, rw,"],
    ['mount: { background: true }', 'mount.background: is not a known field (known: reads, attr-timeout, allow-other, nearest, binding, options, debug)'],
    ['mount: 3', 'mount: must be object'],
    ['format: { block-size: 4Q }', "format.block-size: '4Q' is not a size"],
    ['format: { pool: [x] }', "format.pool: 'x' is not name=driver:location"],
    ['gc: { grace: soon }', "gc.grace: 'soon' is not a duration"],
    ['pool-scan: { error-rate: 2 }', 'pool-scan.error-rate: must be < 1'],
    ['tuning: { session-ttl: 1 }', 'tuning.session-ttl: must be >= 2'],
    ['tuning: { op-timeout: "60" }', 'tuning.op-timeout: must be number'],
    ['tuning: { read-ahead-blocks: 2.5 }', 'tuning.read-ahead-blocks: must be integer'],
    ['tuning: { read-cache-size: 12Q }', "tuning.read-cache-size: '12Q' is not a size"],
    ['tuning: { read-cache-size: 2000G }', 'tuning.read-cache-size: 2000G is out of range: 0 to 1099511627776 bytes'],
    ['tuning: { swap: 1 }', 'tuning.swap: is not a known field (known: session-ttl, writeback-interval,'],
  ]
  // in this process (the CLI's start-up costs seconds on a busy machine), then two through the CLI
  for (const [text, message] of cases) {
    const path = file(text)
    t.throws(() => loadConfig(path), { name: 'ConfigError', message: new RegExp(`^${escape(`${path}: ${message}`)}[^\n]*$`) }, text)
  }
  const [text, message] = cases[5]
  const path = file(text)
  const bad = meridian('status', '--config', path)
  t.equal(bad.code, 2)
  t.ok(bad.err.startsWith(`meridian: ${path}: ${message}`) && bad.err.split('\n').length === 2, `one line: ${bad.err.trim()}`)
  const r = meridian('status', '--config', join(home, 'none.yaml'))
  t.match(r.err, /^meridian: config: cannot read .*none\.yaml: ENOENT\n$/)
  t.notOk(existsSync(join(home, 'meta.db')), 'no store was made by any of them')
})

t.test('flags override the file; the default file lives in the Meridian home', async t => {
  const db = join(home, 'from-file.db')
  const path = file(`meta: sqlite://${db}\nname: fromfile\nformat: { block-size: 64K, pool: ["p=local:${join(home, 'p')}"] }\n`)
  const a = JSON.parse(meridian('format', '--config', path, '--json').out)
  t.same([a.meta, a.name, a.blockSize, Object.keys(a.pools)], [`sqlite://${db}`, 'fromfile', 65536, ['p']], 'every value from the file')
  const b = JSON.parse(meridian('format', '--config', path, '--name', 'fromflag', '--block-size', '128K', '--json').out)
  t.same([b.meta, b.name, b.blockSize], [`sqlite://${db}`, 'fromflag', 131072], 'the flags win where given')
  writeFileSync(join(home, 'config.yaml'), `meta: sqlite://${db}\nname: fromflag\n`)
  t.teardown(() => rmSync(join(home, 'config.yaml'), { force: true }))
  const s = meridian('status', '--json')
  t.equal(s.code, 0, s.err)
  t.same([JSON.parse(s.out).meta, JSON.parse(s.out).name], [`sqlite://${db}`, 'fromflag'], 'config.yaml in the home is read with no --config')
})

/** a container's /sys is often read-only: there the read-ahead stays the kernel's (best effort, serve-lowlevel.ts) */
const sysReadOnly = readFileSync('/proc/mounts', 'utf8').split('\n').some(l => l.split(' ')[1] === '/sys' && /(^|,)ro(,|$)/.test(l.split(' ')[3] ?? ''))

t.test('a tunable reaches a real mount: kernel-read-ahead', { skip: process.getuid?.() !== 0 ? 'the kernel lets only root set read-ahead' : sysReadOnly ? '/sys is read-only here' : false }, async t => {
  const dir = join(home, 'mnt')
  mkdirSync(dir)
  const path = file(`meta: sqlite://${join(home, 'ra.db')}\ntuning: { kernel-read-ahead: 2M, session-ttl: 30 }\n`)
  t.equal(meridian('format', '--config', path).code, 0)
  const r = meridian('mount', dir, '--background', '--config', path)
  t.equal(r.code, 0, r.err)
  const pid = Number(/\(pid (\d+)/.exec(r.out)?.[1])
  pids.add(pid)
  const { dev } = statSync(dir)
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00)
  t.equal(readFileSync(`/sys/class/bdi/0:${minor}/read_ahead_kb`, 'utf8').trim(), '2048', 'the background mount read the file too')
  t.equal(meridian('umount', dir).code, 0)
  for (const giveUp = Date.now() + 20_000; alive(pid) && Date.now() < giveUp;) await sleep(50)
  t.notOk(alive(pid) || isMounted(dir), 'unmounted, the process gone')
})

t.test('docs/operations.md lists every tunable with its default', async t => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8')
  for (const [name, tunable] of Object.entries(TUNABLES)) {
    const row = doc.split('\n').find(l => l.startsWith(`| \`${name}\` |`))
    t.ok(row, `${name} has a row`)
    const shown = tunable.unit === 'bytes' ? `${DEFAULTS[name as keyof typeof DEFAULTS] / 1024 / 1024} MiB` : String(tunable.default)
    t.match(row ?? '', ` ${shown} `, `${name}: default ${shown}`)
  }
})
