// What only the low-level binding does, through a real kernel mount: a request JavaScript never
// answers is answered by the binding's watchdog (ETIMEDOUT) and logged, the mount stays usable;
// inode numbers above 32 bits reach st_ino whole; many requests are in flight at once; file
// handles open inodes the kernel no longer knows.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { ENOENT } from '../lib/errors'
import type { Filesystem } from '../lib/fs/filesystem'
import type { Attr } from '../lib/fs/types'
import { isMounted } from '../lib/fuse'
import { fusermount } from '../lib/fuse/mounts'
import { serveLowlevel } from '../lib/fuse/serve-lowlevel'
import type { Served } from '../lib/fuse/served'
import { mountMeridian } from '../fixtures/mount'
import { errorCode } from '../fixtures/file-checks'
import { encodeHandle, NO_FILE_HANDLES, openHandle } from '../lib/conformance/file-handle'

const run = promisify(execFile)
const BIG_INO = 2 ** 40 + 3

const attr = (ino: number, mode: number): Attr => ({
  ino, mode, nlink: 1, uid: 0, gid: 0, size: 0, rdev: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0,
  atime: { sec: 0, nsec: 0 }, mtime: { sec: 0, nsec: 0 }, ctime: { sec: 0, nsec: 0 },
})

/** serveFake mounts a filesystem of only what these requests need: a root, a file with a 41-bit inode number, a name whose lookup never answers */
async function serveFake(t: tap.Test, timeoutMs: number): Promise<{ dir: string; served: Served }> {
  const root = await mkdtemp(join(tmpdir(), 'meridian-ll-'))
  const dir = join(root, 'mnt')
  await mkdir(dir)
  const fake = {
    name: 'fake',
    getattr: async (ino: number) => (ino === 1 ? attr(1, 0o40755) : attr(ino, 0o100644)),
    lookup: (_parent: number, name: string) => {
      if (name === 'big') return Promise.resolve(attr(BIG_INO, 0o100644))
      if (name === 'hang') return new Promise<Attr>(() => undefined)
      return Promise.reject(ENOENT(name))
    },
  } as unknown as Filesystem
  const served = await serveLowlevel(fake, dir, {
    attrTimeout: 0, entryTimeout: 0, negativeTimeout: 0, timeoutMs, counts: {}, defaultPermissions: true, kernelOptions: [],
  })
  t.teardown(async () => {
    await served.stop().catch(() => undefined)
    if (isMounted(dir)) await fusermount(['-uz', dir]).catch(() => undefined)
    await rm(root, { recursive: true, force: true })
  })
  return { dir, served }
}

t.test('a request never answered is answered ETIMEDOUT; an inode number above 2^32 reaches st_ino whole', async t => {
  const { dir, served } = await serveFake(t, 1000)
  const st = await stat(join(dir, 'big'), { bigint: true })
  t.equal(st.ino, BigInt(BIG_INO), 'st_ino is the 41-bit inode number')
  t.equal(await errorCode(stat(join(dir, 'hang'))), 'ETIMEDOUT', 'the watchdog answered the lookup JavaScript never answered')
  t.equal(await errorCode(stat(join(dir, 'nothing'))), 'ENOENT', 'and the mount still answers')
  await served.stop()
  t.notOk(isMounted(dir), 'stopped: unmounted')
})

t.test('a process killed while its request waits in lib/fs goes at once (FUSE_INTERRUPT: EINTR); the mount stays healthy', async t => {
  const { dir } = await serveFake(t, 60_000)
  const started = Date.now()
  const child = spawn('stat', [join(dir, 'hang')], { stdio: 'ignore' })
  const exited = new Promise<string>(done => child.on('exit', () => done('exited')))
  await sleep(300)
  t.equal(child.exitCode, null, 'the stat waits on the lookup that never answers')
  child.kill('SIGKILL')
  t.equal(await Promise.race([exited, sleep(20_000, 'still waiting', { ref: false })]), 'exited', 'the killed process ended')
  t.ok(Date.now() - started < 30_000, `after ${Date.now() - started} ms (the 1 s grace), long before the 60 s watchdog would have answered`)
  t.equal(await errorCode(stat(join(dir, 'nothing'))), 'ENOENT', 'the mount still answers')
  t.equal((await stat(join(dir, 'big'), { bigint: true })).ino, BigInt(BIG_INO), 'and finds names')
})

t.test('many requests in flight at once', async t => {
  const m = await mountMeridian(t, { mount: { attrTimeout: 0, entryTimeout: 0 } })
  const names = Array.from({ length: 8 }, (_, i) => `f${i}`)
  for (const n of names) await writeFile(join(m.dir, n), n)
  const getattr = m.fs.getattr.bind(m.fs)
  let inFlight = 0
  let most = 0
  m.fs.getattr = async (ino: number) => {
    most = Math.max(most, ++inFlight)
    try {
      await sleep(100) // hold each request, so that the others arrive meanwhile
      return await getattr(ino)
    } finally {
      inFlight--
    }
  }
  await run('sh', ['-c', names.map(n => `stat ${join(m.dir, n)} >/dev/null &`).join(' ') + ' wait'])
  m.fs.getattr = getattr
  t.ok(most > 1, `${most} getattr calls were running at once`)
})

t.test('file handles outlive the kernel inode: open_by_handle_at after a remount (lookup of "." and "..")', { skip: NO_FILE_HANDLES }, async t => {
  const m = await mountMeridian(t)
  await writeFile(join(m.dir, 'f'), 'kept')
  await mkdir(join(m.dir, 'd/e'), { recursive: true })
  await writeFile(join(m.dir, 'd/e/g'), 'deep')
  await writeFile(join(m.dir, 'gone'), '')
  const handles = await Promise.all(['f', 'd/e', 'd/e/g', 'gone'].map(p => encodeHandle(join(m.dir, p))))
  const inos = await Promise.all(['f', 'd/e', 'd/e/g'].map(async p => BigInt((await stat(join(m.dir, p))).ino)))
  await rm(join(m.dir, 'gone'))
  await m.remount() // a fresh kernel: it knows no inode but the root
  const [f, e, g] = await Promise.all(handles.slice(0, 3).map(h => openHandle(m.dir, h)))
  t.same([f.ino, e.ino, g.ino], inos, 'each handle opens its inode')
  t.equal(f.head?.toString(), 'kept', 'a file, with its contents')
  t.equal(g.head?.toString(), 'deep', 'a file two directories down')
  t.equal(e.head, undefined, 'a directory')
  t.equal(await errorCode(openHandle(m.dir, handles[3])), 'ESTALE', 'the handle of a removed file is stale')
})
