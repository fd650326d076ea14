// meridian format / mount / umount as a user runs them: separate processes, MERIDIAN_HOME in
// a temporary directory. The mounts are served by other processes, so this one may use
// synchronous calls on them.
import t from 'tap'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fuseMounts, isMounted } from '../lib/fuse/mounts'
import { alive } from '../fixtures/file-checks'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const home = mkdtempSync(join(tmpdir(), 'meridian-home-'))
const env = { ...process.env, MERIDIAN_HOME: home }
const pids = new Set<number>()

t.teardown(async () => {
  for (const m of fuseMounts().filter(e => e.dir.startsWith(home))) {
    spawnSync('fusermount', ['-uz', m.dir])
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  rmSync(home, { recursive: true, force: true })
})

function meridian(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

async function exited(pid: number, ms = 10_000): Promise<boolean> {
  for (const giveUp = Date.now() + ms; Date.now() < giveUp; await sleep(50)) {
    if (!alive(pid)) return true
  }
  return false
}

/** meridian mount --background; the PID it printed */
function background(t: tap.Test, dir: string): number {
  const r = meridian('mount', '--background', dir)
  t.equal(r.code, 0, `mount --background: ${r.err}`)
  const pid = Number(/\(pid (\d+)/.exec(r.out)?.[1])
  t.ok(pid > 0, `prints the PID: ${r.out.trim()}`)
  pids.add(pid)
  t.ok(isMounted(dir), 'in /proc/mounts when it returns')
  return pid
}

t.test('mount --background needs no setup, survives umount and remount', async t => {
  const dir = join(home, 'mnt')
  mkdirSync(dir)
  const pid = background(t, dir)
  t.ok(existsSync(join(home, 'meta.db')), 'the embedded store was created')
  t.ok(existsSync(join(home, 'pool')), 'and the local pool')
  t.match(readFileSync(join(home, 'mount.log'), 'utf8'), /"msg":"mounted"/, 'logs to mount.log')

  writeFileSync(join(dir, 'kept.txt'), 'still here')
  t.equal(readFileSync(join(dir, 'kept.txt'), 'utf8'), 'still here')

  const u = meridian('umount', dir)
  t.equal(u.code, 0, u.err)
  t.notOk(isMounted(dir), 'gone from /proc/mounts')
  t.ok(await exited(pid), 'the mount process exits once unmounted')

  const again = background(t, dir)
  t.not(again, pid)
  t.equal(readFileSync(join(dir, 'kept.txt'), 'utf8'), 'still here', 'the file survived')
  t.equal(meridian('umount', dir).code, 0)
  t.ok(await exited(again))
})

t.test('a stale mountpoint (its process was killed) is recovered by the next mount', async t => {
  const dir = join(home, 'stale')
  mkdirSync(dir)
  const pid = background(t, dir)
  writeFileSync(join(dir, 'f'), 'survives kill -9')
  process.kill(pid, 'SIGKILL')
  t.ok(await exited(pid))
  let code: string | undefined
  try {
    statfsSync(dir) // statfs always asks the (dead) server; stat may come from the kernel's cache
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code
  }
  t.match(code, /^(ENOTCONN|ECONNABORTED)$/, 'stale: not connected, or aborted')

  const again = background(t, dir)
  t.equal(readFileSync(join(dir, 'f'), 'utf8'), 'survives kill -9')
  t.equal(meridian('umount', dir).code, 0)
  t.ok(await exited(again))
  t.notOk(isMounted(dir))
})

t.test('foreground mount: SIGTERM unmounts cleanly and exits 0', async t => {
  const dir = join(home, 'fg')
  mkdirSync(dir)
  const child = spawn(process.execPath, [bin, 'mount', dir], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  pids.add(child.pid!)
  let out = ''
  child.stdout.on('data', d => (out += d))
  const done = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  for (const giveUp = Date.now() + 30_000; !isMounted(dir) && Date.now() < giveUp; ) await sleep(50)
  t.ok(isMounted(dir), 'mounted')
  writeFileSync(join(dir, 'x'), 'y')
  child.kill('SIGTERM')
  t.equal(await done, 0, 'exit code 0')
  t.match(out, /mounted at/)
  t.notOk(isMounted(dir), 'unmounted')
})

t.test('umount of a busy mount: refused, unless --lazy', async t => {
  const dir = join(home, 'busy')
  mkdirSync(dir)
  const pid = background(t, dir)
  const fd = openSync(join(dir, 'open'), 'w')
  const r = meridian('umount', dir)
  t.equal(r.code, 2)
  t.match(r.err, /^meridian: dir: .* is busy \(use --lazy/)
  t.ok(isMounted(dir), 'still mounted')
  const lazy = meridian('umount', '--lazy', dir)
  t.equal(lazy.code, 0, lazy.err)
  t.match(lazy.out, /lazily/)
  t.notOk(isMounted(dir))
  try {
    closeSync(fd)
  } catch {
    /* the server may be gone already */
  }
  t.ok(await exited(pid))
})

t.test('format: explicit options, and bad input as one line naming the field', async t => {
  const fmtHome = join(home, 'fmt')
  const meta = `sqlite://${join(fmtHome, 'meta.db')}`
  const pool = join(fmtHome, 'p1')
  const ok = meridian('format', '--meta', meta, '--name', 'alpha', '--block-size', '1M', '--pool', `p1=local:${pool}`, '--json')
  t.equal(ok.code, 0, ok.err)
  t.same(JSON.parse(ok.out), { meta, name: 'alpha', blockSize: 1024 * 1024, pools: { p1: { driver: 'local', path: pool } } })
  t.ok(existsSync(pool), 'the pool was checked (and created)')

  const cases: Array<{ args: string[]; re: RegExp }> = [
    { args: ['format', '--meta', meta, '--name', 'alpha', '--pool', `p1=local:${pool}`], re: /^meridian: name: filesystem 'alpha' is already formatted/ },
    { args: ['format', '--meta', meta, '--name', 'bad name!'], re: /^meridian: name: / },
    { args: ['format', '--meta', meta, '--block-size', '3X'], re: /^meridian: block-size: '3X' is not a size/ },
    { args: ['format', '--meta', meta, '--block-size', '3000'], re: /^meridian: block-size: / },
    { args: ['format', '--meta', meta, '--pool', 'nonsense'], re: /^meridian: pool: 'nonsense' is not name=driver:location/ },
    { args: ['format', '--meta', meta, '--pool', 'a=local:/x', '--pool', 'a=local:/y'], re: /^meridian: pool: pool 'a' is given twice/ },
    { args: ['format', '--meta', meta, '--pool', 'a=local:/etc/passwd'], re: /^meridian: pool a: path: / },
    { args: ['mount', '/etc/passwd/mnt'], re: /^meridian: dir: \/etc\/passwd\/mnt: ENOTDIR/ },
    { args: ['mount', '--background', '/etc/passwd'], re: /^meridian: dir: \/etc\/passwd is not a directory/ },
    { args: ['mount', '--background', '--name', 'bad name!', home], re: /^meridian: name: / },
    { args: ['umount', home], re: /^meridian: dir: .* is not a FUSE mountpoint/ },
  ]
  for (const c of cases) {
    const r = meridian(...c.args)
    t.not(r.code, 0, c.args.join(' '))
    t.match(r.err, c.re, c.args.join(' '))
    t.equal(r.err.trim().split('\n').length, 1, 'one line')
  }
  t.notOk(fuseMounts().some(e => e.dir.startsWith(home)), 'nothing left mounted')
  // (a bad mount must not leave a stray server behind either)
  t.notOk(execFileSync('ps', ['-eo', 'args']).toString().split('\n').some(l => l.includes(`${bin} mount`) && l.includes(home)))
})
