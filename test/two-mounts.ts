// Two FUSE mounts of the same etcd-backed filesystem, both served by this process, each its
// own session (its own Filesystem, etcd client, caches and kernel mount): what one mount
// closes the other opens (close-to-open), names appear on the other mount at once, a rename
// is atomic as seen from the other mount, and locks exclude each other across the sessions:
// through the kernel, with real processes holding and waiting, on the low-level binding (the
// binding of this test process: testBinding; two-mounts-fuse-native.ts runs these through
// fuse-native). Everything touching the mounts is asynchronous: this process serves them.
import t from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { constants } from 'node:os'
import { Filesystem } from '../lib/fs/filesystem'
import { openStore, type MetaStore } from '../lib/meta'
import { startEtcd } from '../fixtures/etcd-cluster'
import { mountExisting, testBinding, type ExistingMount } from '../fixtures/mount'
import { errorCode } from '../fixtures/file-checks'

const NAME = 'shared'
/** libuv has no name for ESTALE: the error carries the number alone */
const { ESTALE } = constants.errno
const O_RDWR = 2
let A: ExistingMount
let B: ExistingMount

t.before(async () => {
  const etcd = await startEtcd(t)
  const url = `etcd://${etcd.endpoints.map(e => e.replace('http://', '')).join(',')}`
  const pool = await mkdtemp(join(tmpdir(), 'meridian-pool-'))
  t.teardown(() => rm(pool, { recursive: true, force: true }))
  const open = async (): Promise<MetaStore> => {
    const store = await openStore(url)
    t.teardown(() => store.close())
    return store
  }
  const storeA = await open()
  const storeB = await open()
  await Filesystem.format(storeA, { name: NAME, pools: { local: { driver: 'local', path: pool } } })
  A = await mountExisting(t, storeA, NAME)
  B = await mountExisting(t, storeB, NAME)
})

t.test('close-to-open: what A wrote and closed, B opens and reads; new names show on B at once', async t => {
  await writeFile(join(A.dir, 'note'), 'written on A')
  t.equal(await readFile(join(B.dir, 'note'), 'utf8'), 'written on A', 'B finds the new name and its data at once')

  await writeFile(join(A.dir, 'note'), 'WRITTEN ON A')
  t.equal(await readFile(join(B.dir, 'note'), 'utf8'), 'WRITTEN ON A', 'a rewrite of the same size: B reads the new data, not its cached pages')

  await writeFile(join(A.dir, 'note'), 'a longer text, written on A')
  t.equal(await readFile(join(B.dir, 'note'), 'utf8'), 'a longer text, written on A', 'a rewrite that grows it: B reads all of it')

  await mkdir(join(A.dir, 'dir'))
  await writeFile(join(A.dir, 'dir', 'inside'), 'x')
  t.same(await readdir(join(B.dir, 'dir')), ['inside'], 'a directory made on A lists on B')

  await writeFile(join(B.dir, 'back'), 'from B')
  t.equal(await readFile(join(A.dir, 'back'), 'utf8'), 'from B', 'and the other way')
  t.equal((await stat(join(A.dir, 'back'))).ino, (await stat(join(B.dir, 'back'))).ino, 'one inode, seen from both')
})

/** content of version n: a fixed size (so the kernel's cached size never matters), its number, then a fill byte that is never 0 */
const SIZE = 96 * 1024
function version(n: number): Buffer {
  const head = Buffer.from(`version ${n}\n`)
  return Buffer.concat([head, Buffer.alloc(SIZE - head.length, 1 + (n % 250))])
}

/** what a read of a versioned file returned: one whole version, zeros (its data vanished), or anything else */
function classify(data: Buffer): { whole: number } | 'zeros' | 'mixed' {
  const n = Number(/^version (\d+)\n/.exec(data.subarray(0, 32).toString())?.[1])
  if (Number.isInteger(n) && data.equals(version(n))) return { whole: n }
  return data.equals(Buffer.alloc(data.length)) ? 'zeros' : 'mixed'
}

t.test('the kernel keeps the pages of a file no one changed; a change on the other mount is read at the next open', async t => {
  const cached = version(1)
  await writeFile(join(A.dir, 'cached'), cached)
  t.ok((await readFile(join(B.dir, 'cached'))).equals(cached), 'B reads the file')
  const reads = () => B.mount.counts.read ?? 0
  const before = reads()
  t.ok((await readFile(join(B.dir, 'cached'))).equals(cached), 'B reads it again')
  // the low-level binding keeps the kernel's pages across opens of an unchanged file (keep_cache)
  if (testBinding() === 'lowlevel') t.equal(reads(), before, 'from the kernel\'s cache: no read reached B')
  await writeFile(join(A.dir, 'cached'), version(2))
  t.same(classify(await readFile(join(B.dir, 'cached'))), { whole: 2 }, 'A rewrote it (same size): B reads the new data')
  await writeFile(join(B.dir, 'cached'), version(3))
  t.same(classify(await readFile(join(A.dir, 'cached'))), { whole: 3 }, 'B rewrote it: A reads the new data')
  t.same(classify(await readFile(join(B.dir, 'cached'))), { whole: 3 }, 'and so does B')
})

t.test('rename replacing a target: B always opens a complete old or new version, never ENOENT', async t => {
  const target = 'target'
  await writeFile(join(A.dir, target), version(0))
  const ROUNDS = 60
  let done = false
  const writer = (async () => {
    try {
      for (let n = 1; n <= ROUNDS; n++) {
        await writeFile(join(A.dir, `next-${n}`), version(n))
        await rename(join(A.dir, `next-${n}`), join(A.dir, target))
      }
    } finally {
      done = true
    }
  })()
  const seen: number[] = []
  const outcomes = { mixed: 0, zeros: 0, ENOENT: 0, ESTALE: 0 }
  const other: string[] = []
  while (!done) {
    try {
      const r = classify(await readFile(join(B.dir, target)))
      if (typeof r === 'string') outcomes[r]++
      else seen.push(r.whole)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') outcomes.ENOENT++
      // the low-level binding: the kernel opened through its cached name, found the inode gone,
      // looked the name up afresh and tried once more, and A had replaced it again meanwhile
      // (the kernel retries once; docs/fuse.md)
      else if ((err as NodeJS.ErrnoException).errno === -ESTALE && testBinding() === 'lowlevel') outcomes.ESTALE++
      else other.push(code ?? String(err))
    }
  }
  await writer
  t.ok(seen.length > 0, `B opened and read the target ${seen.length} times whole (${JSON.stringify(outcomes)} otherwise)`)
  t.equal(outcomes.mixed, 0, 'never a mix of two versions')
  t.same(other, [], 'no other failure')
  t.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]), 'versions never go back')
  t.equal(outcomes.ENOENT, 0, 'never ENOENT')
  t.equal(outcomes.zeros, 0, 'never the data of an open file vanishing')
  t.same(classify(await readFile(join(B.dir, target))), { whole: ROUNDS }, 'B ends on the last version')
})

t.test('rename back and forth between two names: B sees the one file whole under one name or the other', async t => {
  await writeFile(join(A.dir, 'ping'), version(7))
  let done = false
  const mover = (async () => {
    try {
      for (let n = 0; n < 40; n++) {
        await rename(join(A.dir, 'ping'), join(A.dir, 'pong'))
        await rename(join(A.dir, 'pong'), join(A.dir, 'ping'))
      }
    } finally {
      done = true
    }
  })()
  const found = { ping: 0, pong: 0 }
  const failures: string[] = []
  while (!done) {
    for (const name of ['ping', 'pong'] as const) {
      try {
        const r = classify(await readFile(join(B.dir, name)))
        if (typeof r === 'object' && r.whole === 7) found[name]++
        else failures.push(`${name}: ${JSON.stringify(r)}`)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'ENOENT') failures.push(`${name}: ${code}`) // the name may be elsewhere just now
      }
    }
  }
  await mover
  t.same(failures, [], 'whenever B opened a name, it read the whole file')
  t.ok(found.ping + found.pong > 0, `B found it ${found.ping} times as ping, ${found.pong} as pong`)
})

// fuse-native exposes neither `lock` nor `flock`, so through a mount the kernel handles
// flock(2) and fcntl locks locally: they exclude processes on the same mount only. The
// cross-session locks live in lib/fs; they are asserted here on the two mounts' own
// Filesystem objects (the two sessions), not through the kernel.
t.test('locks exclude each other across the two sessions (lib/fs level)', async t => {
  await writeFile(join(A.dir, 'locked'), 'x')
  const { ino } = await A.fs.resolve('/locked')
  t.equal((await B.fs.resolve('/locked')).ino, ino)
  const a = { owner: 1, pid: 101 }
  const b = { owner: 2, pid: 202 }

  await A.fs.setlk(ino, { ...a, start: 0, end: 100, type: 'write' }, false)
  t.equal(await errorCode(B.fs.setlk(ino, { ...b, start: 50, end: 60, type: 'read' }, false)), 'EAGAIN', 'B cannot read-lock what A write-locked')
  t.match(await B.fs.getlk(ino, { ...b, start: 0, end: 10 }), { pid: 101, type: 'write', start: 0, end: 100 }, 'F_GETLK on B names A\'s lock')
  await B.fs.setlk(ino, { ...b, start: 100, end: 200, type: 'write' }, false)
  t.pass('a disjoint range is B\'s to take')

  const waiting = B.fs.setlk(ino, { ...b, start: 0, end: 100, type: 'write' }, true)
  await sleep(100)
  await A.fs.setlk(ino, { ...a, start: 0, end: 100 }, false)
  await waiting
  t.pass('B\'s waiting lock is granted once A lets go')
  t.equal(await errorCode(A.fs.setlk(ino, { ...a, start: 10, end: 20, type: 'read' }, false)), 'EAGAIN', 'now A is the one refused')
  await B.fs.setlk(ino, { ...b, start: 0, end: 200 }, false)

  const fhA = await A.fs.open(ino, O_RDWR, A.fs.identity)
  const fhB = await B.fs.open(ino, O_RDWR, B.fs.identity)
  await A.fs.flock(ino, fhA, 'write', false)
  t.equal(await errorCode(B.fs.flock(ino, fhB, 'read', false)), 'EAGAIN', 'flock: A\'s exclusive lock refuses B')
  await A.fs.release(fhA)
  await B.fs.flock(ino, fhB, 'read', false)
  t.pass('closing A\'s file dropped its flock; B takes one')
  await B.fs.release(fhB)
})

/** a process started asynchronously, with what it printed so far and its exit */
interface Proc {
  child: ChildProcessWithoutNullStreams
  out: () => string
  exited: Promise<number | null>
  /** printed resolves once the process has printed text */
  printed(text: string): Promise<void>
}

function start(cmd: string, args: string[]): Proc {
  const child = spawn(cmd, args)
  let out = ''
  const waiters: Array<() => void> = []
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<number | null>(done => child.on('exit', code => done(code)))
  const printed = async (text: string) => {
    while (!out.includes(text)) {
      const more = new Promise<void>(done => waiters.push(done))
      if ((await Promise.race([more.then(() => 'more'), exited.then(() => 'exit')])) === 'exit' && !out.includes(text)) {
        throw new Error(`${cmd} exited without printing ${text}: ${out}`)
      }
    }
  }
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  return { child, out: () => out, exited, printed }
}

const exitOf = (cmd: string, args: string[]) => start(cmd, args).exited

/** The exit code of `flock -n -x file true`, tried until it is 0 or `ms` have passed. */
async function freeWithin(file: string, ms: number): Promise<number | null> {
  const until = Date.now() + ms
  for (;;) {
    const code = await exitOf('flock', ['-n', '-x', file, 'true'])
    if (code === 0 || Date.now() > until) return code
    await sleep(50)
  }
}

/** a python3 one-liner holding or probing POSIX locks with lockf / F_GETLK on argv[1] */
const PY_LOCKS = `
import errno, fcntl, os, struct, sys
f = open(sys.argv[1], 'r+')
what, start, length = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if what == 'hold':
    fcntl.lockf(f, fcntl.LOCK_EX, length, start)
    print('held', flush=True)
    sys.stdin.readline()
elif what == 'try':
    try:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
        print('locked', flush=True)
    except OSError as e:
        print(errno.errorcode[e.errno], flush=True)
elif what == 'getlk':
    res = fcntl.fcntl(f, fcntl.F_GETLK, struct.pack('hhqqixxxx', fcntl.F_WRLCK, 0, start, length, 0))
    t, _, s, l, pid = struct.unpack('hhqqixxxx', res)
    print({fcntl.F_RDLCK: 'read', fcntl.F_WRLCK: 'write', fcntl.F_UNLCK: 'none'}[t], s, l, flush=True)
elif what == 'wait':
    fcntl.lockf(f, fcntl.LOCK_EX, length, start)
    print('got', flush=True)
`

t.test('flock(1) across the two mounts: real processes hold, are refused, wait, and are interrupted', { skip: testBinding() !== 'lowlevel' && 'fuse-native has no lock operations' }, async t => {
  await writeFile(join(A.dir, 'flocked'), 'x')
  const onA = join(A.dir, 'flocked')
  const onB = join(B.dir, 'flocked')
  const holder = start('flock', ['-x', onA, '-c', 'echo held; read line || true'])
  await holder.printed('held')
  t.equal(await exitOf('flock', ['-n', '-s', onB, 'true']), 1, 'B cannot take a shared lock while A holds an exclusive one')
  const waiter = start('flock', ['-x', onB, '-c', 'echo got'])
  const interrupted = start('flock', ['-x', onB, '-c', 'echo never'])
  await sleep(300)
  t.equal(waiter.child.exitCode, null, 'a waiter on B is still waiting')
  interrupted.child.kill('SIGTERM')
  t.not(await interrupted.exited, 0, 'a waiter killed while it waits leaves (FUSE_INTERRUPT ends the wait)')
  holder.child.stdin.end()
  t.equal(await holder.exited, 0)
  await waiter.printed('got')
  t.equal(await waiter.exited, 0, 'the waiter gets the lock once A lets go')
  // The kernel sends FUSE_RELEASE (which drops a flock) after close() has returned, so
  // the waiter's lock goes a moment after it exits; a lock the interrupted waiter took
  // would never go.
  t.equal(await freeWithin(onA, 3000), 0, 'and nobody holds it afterwards (the interrupted waiter took nothing)')
  t.notOk(interrupted.out().includes('never'))
})

t.test('fcntl locks across the two mounts: refused, reported by F_GETLK, ranges, waiting', { skip: testBinding() !== 'lowlevel' && 'fuse-native has no lock operations' }, async t => {
  await writeFile(join(A.dir, 'ranged'), 'x'.repeat(100))
  const onA = join(A.dir, 'ranged')
  const onB = join(B.dir, 'ranged')
  const py = (file: string, ...args: string[]) => start('python3', ['-c', PY_LOCKS, file, ...args])
  const holder = py(onA, 'hold', '0', '10')
  await holder.printed('held')
  const refused = py(onB, 'try', '5', '10')
  await refused.exited
  t.match(refused.out().trim(), /^(EAGAIN|EACCES)$/, 'B cannot lock an overlapping range')
  const report = py(onB, 'getlk', '0', '10')
  await report.exited
  t.equal(report.out().trim(), 'write 0 10', "F_GETLK on B reports A's write lock and its range")
  const disjoint = py(onB, 'try', '10', '10')
  await disjoint.exited
  t.equal(disjoint.out().trim(), 'locked', 'a disjoint range is free')
  const waiter = py(onB, 'wait', '0', '10')
  await sleep(300)
  t.equal(waiter.child.exitCode, null, 'a waiter on B waits')
  holder.child.stdin.end()
  await waiter.printed('got')
  t.equal(await waiter.exited, 0, 'and gets the range once A closes its file (the close releases the locks)')
})
