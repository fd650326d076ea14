// The Linux way to mount: `mount -t fuse.meridian meridian:NAME DIR -o ...` and the same as an
// fstab line (through mount -T FILE, so that /etc/fstab is never touched), served by the
// `meridian` mount helper that fixtures/install-helper.sh puts where mount.fuse finds it;
// `umount DIR` ends the serving process; `mount -o remount,ro DIR` goes through the helper too.
// Needs root (mount(8) mounts for root only) and mount.fuse (Debian fuse3).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { alive } from '../fixtures/file-checks'
import { isMounted } from '../lib/fuse/mounts'

const checkout = join(__dirname, '..', '..')
const bin = join(__dirname, '..', 'bin', 'meridian.js')
const root = process.getuid?.() === 0
const helperless = !existsSync('/sbin/mount.fuse') && !existsSync('/usr/sbin/mount.fuse')

t.test('mount -t fuse.meridian, fstab, remount, umount', { skip: !root ? 'needs root' : helperless ? 'needs mount.fuse (Debian fuse3)' : false }, async t => {
  const home = mkdtempSync(join(tmpdir(), 'meridian-helper-'))
  const dir = join(home, 'mnt')
  const dir2 = join(home, 'mnt2')
  const pids = new Set<number>()
  // registered before anything is mounted: unmount what is ours, stop what we started, remove the home
  t.teardown(async () => {
    for (const d of [dir, dir2]) if (isMounted(d)) spawnSync('umount', ['-l', d])
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(home, { recursive: true, force: true })
  })
  // other users reach the mount (allow_other) through the home
  chmodSync(home, 0o755)
  mkdirSync(dir)
  mkdirSync(dir2)
  const env = { ...process.env, MERIDIAN_HOME: home, MERIDIAN_CHECKOUT: checkout }
  const sh = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 60_000, cwd: home })
    return { code: r.status, out: r.stdout, err: r.stderr }
  }
  const install = sh('sh', [join(checkout, 'fixtures', 'install-helper.sh')])
  t.equal(install.code, 0, `the helper is installed: ${install.err}`)
  if (!readFileSync('/usr/local/bin/meridian', 'utf8').includes('# meridian launcher')) {
    t.comment('skipped: /usr/local/bin/meridian is another meridian (npm install -g?), not a launcher of this checkout')
    return
  }

  /** the serving process a helper mount left behind, from the line it printed */
  const served = (out: string) => {
    const pid = Number(/\(pid (\d+)/.exec(out)?.[1])
    if (pid > 0) pids.add(pid)
    return pid
  }
  const exited = async (pid: number) => {
    for (const giveUp = Date.now() + 20_000; Date.now() < giveUp; await sleep(50)) if (!alive(pid)) return true
    return false
  }

  await t.test('mount -t with options, a file, umount ends the process', async t => {
    const m = sh('mount', ['-t', 'fuse.meridian', 'meridian:data', dir, '-o', 'allow_other,noatime,nosuid,nodev'])
    t.equal(m.code, 0, `mount -t fuse.meridian: ${m.err}`)
    t.ok(isMounted(dir), 'mounted when mount returns')
    const pid = served(m.out)
    t.ok(pid > 0 && alive(pid), 'the serving process stays')
    const line = readFileSync('/proc/mounts', 'utf8').split('\n').find(l => l.split(' ')[1] === dir) ?? ''
    t.match(line, /^meridian:data \S+ fuse\.meridian \S*noatime/, `the kernel's view: ${line}`)
    t.match(line, /allow_other/)
    writeFileSync(join(dir, 'hello'), 'world\n')
    t.equal(readFileSync(join(dir, 'hello'), 'utf8'), 'world\n')
    // with allow_other every user acts as itself: what nobody creates belongs to nobody (mount --help, docs/fuse.md)
    mkdirSync(join(dir, 'shared'))
    chmodSync(join(dir, 'shared'), 0o1777)
    const made = sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', `echo x > ${join(dir, 'shared', 'theirs')}`])
    t.equal(made.code, 0, `another user writes through allow_other: ${made.err}`)
    t.equal(statSync(join(dir, 'shared', 'theirs')).uid, 65534, 'and the file is theirs, not the mounting user\'s')

    const u = sh('umount', [dir])
    t.equal(u.code, 0, `umount: ${u.err}`)
    t.ok(await exited(pid), 'the serving process exits by itself')
    t.notOk(isMounted(dir))
    t.match(readFileSync(join(home, 'mount.log'), 'utf8'), /"why":"unmounted from outside"/, 'and says why, having shut down cleanly')
  })

  await t.test('an fstab line, with config=FILE; remount,ro through the helper', async t => {
    const config = join(home, 'prod.yaml')
    const meta = join(home, 'prod.db')
    writeFileSync(config, `meta: sqlite://${meta}\ntuning:\n  session-ttl: 30\n`)
    const f = spawnSync(process.execPath, [bin, 'format', '--config', config, '--name', 'prod'], { env, encoding: 'utf8' })
    t.equal(f.status, 0, `format with the same file: ${f.stderr}`)
    const fstab = join(home, 'fstab')
    writeFileSync(fstab, `meridian:prod  ${dir2}  fuse.meridian  allow_other,nosuid,nodev,config=${config},_netdev,nofail  0  0\n`)
    const m = sh('mount', ['-T', fstab, dir2])
    t.equal(m.code, 0, `mount by the fstab line: ${m.err}`)
    const pid = served(m.out)
    writeFileSync(join(dir2, 'a'), 'a')
    const r = sh('mount', ['-o', 'remount,ro', dir2])
    t.equal(r.code, 0, `mount -o remount,ro: ${r.err}`)
    t.throws(() => writeFileSync(join(dir2, 'b'), 'b'), { code: 'EROFS' }, 'read-only now')
    t.equal(readFileSync(join(dir2, 'a'), 'utf8'), 'a')
    t.equal(sh('umount', [dir2]).code, 0)
    t.ok(await exited(pid), 'the serving process exits')
  })

  await t.test('bad input: one line, nothing mounted', async t => {
    const cases: Array<[string[], RegExp]> = [
      [['-t', 'fuse.meridian', 'meridian:data', dir, '-o', 'bogus'], /^meridian: o: unknown mount option 'bogus' \(known: .*config=.*\)\n$/],
      [['-t', 'fuse.meridian', 'data', dir], /^meridian: source: 'data' is not meridian:NAME/],
      [['-t', 'fuse.meridian', 'meridian:data', dir, '-o', 'reads=sometimes'], /^meridian: reads: 'sometimes' is not one of/],
      [['-t', 'fuse.meridian', 'meridian:data', dir, '-o', `config=${join(home, 'none.yaml')}`], /^meridian: config: cannot read .*none\.yaml: ENOENT\n$/],
    ]
    for (const [args, re] of cases) {
      const r = sh('mount', args)
      t.not(r.code, 0, args.join(' '))
      t.match(r.err, re, r.err)
      t.notOk(isMounted(dir), 'not mounted')
    }
  })
})
