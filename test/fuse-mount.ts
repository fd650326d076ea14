// The FUSE adapter through a real kernel mount: node fs and real tools (dd, sha256sum) on the
// mountpoint, served by this process, through the binding of this test process (testBinding:
// low-level by default; fuse-mount-fuse-native.ts runs the same through fuse-native). Everything touching the mount is asynchronous: a
// synchronous call would block the event loop that serves it.
import t from 'tap'
import { execFile } from 'node:child_process'
import { link, lstat, mkdir, readdir, readFile, readlink, rename, rmdir, stat, symlink, unlink, writeFile, appendFile } from 'node:fs/promises'
import { constants } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { EEXIST, ENOENT } from '../lib/errors'
import type { Filesystem } from '../lib/fs/filesystem'
import { Mount, fuseMounts, fuseOps } from '../lib/fuse'
import { startEtcd } from '../fixtures/etcd-cluster'
import { mountMeridian, testBinding } from '../fixtures/mount'
import { errorCode, sha256 } from '../fixtures/file-checks'

const run = promisify(execFile)
const MiB = 1024 * 1024
const binding = testBinding()
/** what one write request carries at most: libfuse 2's receive buffer, or the max_write our binding asks for */
const MAX_WRITE = binding === 'fuse-native' ? 128 * 1024 : MiB

t.test(`mount options (${binding}): default_permissions, and for fuse-native big_writes, use_ino, 1 s caches`, async t => {
  const m = await mountMeridian(t)
  t.equal(m.mount.binding, binding)
  t.match(m.mount.options, /(^-o ?|,)default_permissions(,|$)/)
  if (binding === 'fuse-native') {
    t.match(m.mount.options, /(^-o|,)big_writes(,|$)/)
    t.match(m.mount.options, /(^-o|,)use_ino(,|$)/)
    t.match(m.mount.options, /attr_timeout=1(,|$)/)
    t.match(m.mount.options, /entry_timeout=1(,|$)/)
  }
  const entry = fuseMounts().find(e => e.dir === m.dir)
  t.ok(entry, 'in /proc/mounts')
  t.equal(entry?.type, 'fuse.meridian')
  t.equal(entry?.source, 'meridian:meridian')
  t.equal(await Mount.mount(m.fs, m.dir), m.mount, 'mounting again is idempotent')
})

t.test('a file written through the mount reads back, through the mount and through lib/fs', async t => {
  const m = await mountMeridian(t)
  const f = join(m.dir, 'hello.txt')
  await writeFile(f, 'hello meridian')
  t.equal(await readFile(f, 'utf8'), 'hello meridian')
  await appendFile(f, ', again')
  t.equal(await readFile(f, 'utf8'), 'hello meridian, again')
  const st = await stat(f)
  t.equal(st.size, 21)
  t.ok(st.isFile())
  const attr = await m.fs.resolve('/hello.txt')
  t.equal(st.ino, attr.ino, 'st_ino is the lib/fs inode number (use_ino)')
  t.equal(attr.size, 21)
  await writeFile(f, 'short')
  t.equal(await readFile(f, 'utf8'), 'short', 'O_TRUNC truncates')
  await m.remount()
  t.equal(await readFile(f, 'utf8'), 'short', 'still there after a remount')
})

t.test('directories: mkdir, readdir, rename, unlink, rmdir; errors arrive as errno codes', async t => {
  const m = await mountMeridian(t)
  const p = (...names: string[]) => join(m.dir, ...names)
  await mkdir(p('a'))
  await mkdir(p('a', 'b'))
  await writeFile(p('a', 'one'), '1')
  await writeFile(p('a', 'two'), '2')
  t.same((await readdir(p('a'))).sort(), ['b', 'one', 'two'])
  t.same((await readdir(m.dir)).sort(), ['a'])
  t.ok((await stat(p('a', 'b'))).isDirectory())

  await rename(p('a', 'one'), p('a', 'b', 'uno'))
  t.same((await readdir(p('a'))).sort(), ['b', 'two'])
  t.equal(await readFile(p('a', 'b', 'uno'), 'utf8'), '1')
  await rename(p('a', 'b'), p('c'))
  t.same((await readdir(m.dir)).sort(), ['a', 'c'])
  t.equal(await readFile(p('c', 'uno'), 'utf8'), '1')
  await rename(p('a', 'two'), p('c', 'uno'))
  t.equal(await readFile(p('c', 'uno'), 'utf8'), '2', 'rename replaces')

  t.equal(await errorCode(rmdir(p('c'))), 'ENOTEMPTY')
  t.equal(await errorCode(mkdir(p('c'))), 'EEXIST')
  t.equal(await errorCode(readFile(p('nope'))), 'ENOENT')
  t.equal(await errorCode(readdir(p('c', 'uno'))), 'ENOTDIR')
  t.equal(await errorCode(writeFile(p('x'.repeat(256)), '')), 'ENAMETOOLONG')

  await unlink(p('c', 'uno'))
  t.same(await readdir(p('c')), [])
  await rmdir(p('c'))
  await rmdir(p('a'))
  t.same(await readdir(m.dir), [])
  t.equal(await errorCode(stat(p('a'))), 'ENOENT')
})

t.test('hard links share st_ino; symlinks', async t => {
  const m = await mountMeridian(t)
  const a = join(m.dir, 'a')
  const b = join(m.dir, 'b')
  await writeFile(a, 'linked')
  await link(a, b)
  const [sa, sb] = [await stat(a), await stat(b)]
  t.equal(sa.ino, sb.ino, 'one inode, one st_ino')
  t.equal(sa.nlink, 2)
  t.equal(sb.nlink, 2)
  t.equal(sa.ino, (await m.fs.resolve('/b')).ino)
  await unlink(a)
  t.equal((await m.fs.resolve('/b')).nlink, 1)
  if (binding === 'lowlevel') {
    t.equal((await stat(b)).nlink, 1, 'the other name is the same kernel inode: nlink 1 at once')
  } else {
    // path-based libfuse 2 gives every name its own kernel inode, so the other name's cached
    // attributes are refreshed only when the attribute timeout (1 s) runs out (docs/fuse.md)
    await sleep(1100)
    t.equal((await stat(b)).nlink, 1, 'the other name sees nlink 1 after the attribute timeout')
  }
  t.equal(await readFile(b, 'utf8'), 'linked')

  await symlink('b', join(m.dir, 's'))
  t.equal(await readlink(join(m.dir, 's')), 'b')
  t.ok((await lstat(join(m.dir, 's'))).isSymbolicLink())
  t.equal(await readFile(join(m.dir, 's'), 'utf8'), 'linked', 'followed by the kernel')
})

t.test('extended attributes, with ERANGE for a buffer too small', async t => {
  const m = await mountMeridian(t)
  const f = join(m.dir, 'x')
  await writeFile(f, '')
  const py = `
import os, sys, errno
f = sys.argv[1]
os.setxattr(f, 'user.color', b'blue' * 10)
print(os.getxattr(f, 'user.color').decode())
print(','.join(sorted(os.listxattr(f))))
try:
    os.getxattr(f, 'user.none')
except OSError as e:
    print(errno.errorcode[e.errno])
os.removexattr(f, 'user.color')
print(len(os.listxattr(f)))
`
  const out = await run('python3', ['-c', py, f]).catch(err => ({ stdout: '', stderr: String(err) }))
  if (out.stdout === '' && /ENOENT|not found/.test(out.stderr)) return t.plan(0, 'no python3')
  t.same(out.stdout.trim().split('\n'), ['blue'.repeat(10), 'user.color', 'ENODATA', '0'])
  // a 4-byte buffer for a 40-byte value: getxattr(2) must fail with ERANGE
  const small = await run('python3', ['-c', `
import ctypes, ctypes.util, os, sys, errno
libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
os.setxattr(sys.argv[1], 'user.big', b'x' * 40)
buf = ctypes.create_string_buffer(4)
n = libc.getxattr(sys.argv[1].encode(), b'user.big', buf, 4)
print(n, errno.errorcode.get(ctypes.get_errno(), ''))
n = libc.getxattr(sys.argv[1].encode(), b'user.big', None, 0)
print(n)
`, f])
  t.same(small.stdout.trim().split('\n'), ['-1 ERANGE', '40'])
})

t.test(`a 64 MiB dd write travels in ${MAX_WRITE / 1024} KiB requests and reads back intact`, async t => {
  const m = await mountMeridian(t)
  const src = join(m.root, 'src')
  await run('dd', ['if=/dev/urandom', `of=${src}`, 'bs=1M', 'count=64', 'status=none'])
  const want = await sha256(src)
  const dst = join(m.dir, 'big')
  const writesBefore = m.mount.counts.write ?? 0
  await run('dd', [`if=${src}`, `of=${dst}`, 'bs=1M', 'status=none'])
  const writes = (m.mount.counts.write ?? 0) - writesBefore
  t.comment(`64 MiB in ${writes} write requests (4 KiB requests would take ${(64 * MiB) / 4096})`)
  t.ok(writes <= (64 * MiB) / MAX_WRITE, `${writes} write requests, at most ${(64 * MiB) / MAX_WRITE} of ${MAX_WRITE / 1024} KiB`)
  t.equal((await stat(dst)).size, 64 * MiB)

  const readsBefore = m.mount.counts.read ?? 0
  const { stdout } = await run('sha256sum', [dst])
  t.equal(stdout.split(' ')[0], want, 'read back through the mount (a new open drops the page cache)')
  t.ok((m.mount.counts.read ?? 0) > readsBefore, 'served by reads, not the page cache alone')

  await m.remount()
  t.equal(await sha256(dst), want, 'and after a remount')
})

t.test('unmount leaves nothing in /proc/mounts', async t => {
  const m = await mountMeridian(t)
  await writeFile(join(m.dir, 'f'), 'x')
  t.ok(m.mount.mounted)
  await m.mount.unmount()
  await m.mount.unmount() // idempotent
  t.notOk(m.mount.mounted)
  t.notOk(fuseMounts().some(e => e.dir === m.dir), 'not in /proc/mounts')
  t.same(await readdir(m.dir), [], 'the mountpoint is an empty directory again')
  await m.unmount()
  t.notOk(fuseMounts().some(e => e.dir.startsWith(m.root)))
})

t.test('the same through etcd metadata (a unique filesystem name on a shared store)', async t => {
  const etcd = await startEtcd(t)
  const url = `etcd://${etcd.endpoints.map(e => e.replace('http://', '')).join(',')}`
  const m = await mountMeridian(t, { meta: url })
  t.match(m.fs.name, /^t-/)
  await mkdir(join(m.dir, 'd'))
  await writeFile(join(m.dir, 'd', 'f'), 'over etcd')
  await rename(join(m.dir, 'd', 'f'), join(m.dir, 'g'))
  t.equal(await readFile(join(m.dir, 'g'), 'utf8'), 'over etcd')
  await m.remount()
  t.same((await readdir(m.dir)).sort(), ['d', 'g'])
  t.equal(await readFile(join(m.dir, 'g'), 'utf8'), 'over etcd')
  await m.unmount()
  t.notOk(fuseMounts().some(e => e.dir === m.dir))
})

t.test('fuse-native ops: each failure becomes one -errno; unknown ones are EIO and never escape', { skip: binding !== 'fuse-native' && 'fuse-native only' }, async t => {
  const calls: string[] = []
  const fake = {
    resolve: async (path: string) => {
      calls.push(path)
      if (path === '/missing') throw ENOENT(path)
      if (path === '/exists') throw EEXIST(path)
      if (path === '/sync-throw') throw new TypeError('a bug')
      throw Object.assign(new Error('a store hiccup'), { code: 'SOMETHING_ODD' })
    },
  } as unknown as Filesystem
  const ops = fuseOps(fake, () => ({ uid: 0, gid: 0 }), {})
  const answer = (path: string) => new Promise<number>(resolve => ops.getattr(path, (status: number) => resolve(status)))
  t.equal(await answer('/missing'), -constants.errno.ENOENT)
  t.equal(await answer('/exists'), -constants.errno.EEXIST)
  t.equal(await answer('/sync-throw'), -constants.errno.EIO)
  t.equal(await answer('/odd'), -constants.errno.EIO)
  t.same(calls, ['/missing', '/exists', '/sync-throw', '/odd'])
})
