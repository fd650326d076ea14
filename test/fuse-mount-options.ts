// Mount options through real mounts: when reads move atime (relatime is the default and in
// the POSIX table), read-only mounts, suid/dev, and remounting a live mount read-only and back.
import t from 'tap'
import { execFile } from 'node:child_process'
import { chmod, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { serve } from '../lib/cli/mount'
import { fuseMounts } from '../lib/fuse'
import { mountMeridian } from '../fixtures/mount'

const OLD = new Date('2020-01-01T00:00:00Z')
const HOUR_MS = 3600_000
/** an hour from now in whole seconds: utimes passes seconds as a double, whose fraction may not round-trip */
const inAnHour = () => new Date(Math.ceil(Date.now() / 1000) * 1000 + HOUR_MS)

const optionsOf = (dir: string) => fuseMounts().find(m => m.dir === dir)?.options ?? []
const code = (c: string) => ({ code: c })
const run = promisify(execFile)

/** readAt writes f, sets its times, reads it and returns its atime afterwards */
async function readAt(dir: string, atime: Date, mtime: Date): Promise<number> {
  const f = `${dir}/f`
  await writeFile(f, 'data')
  await utimes(f, atime, mtime)
  await readFile(f)
  return (await stat(f)).atimeMs
}

t.test('noatime: a read leaves atime, and the kernel shows the flag', async t => {
  const m = await mountMeridian(t, { mount: { atime: 'noatime', attrTimeout: 0 } })
  t.equal(await readAt(m.dir, OLD, OLD), OLD.getTime())
  t.ok(optionsOf(m.dir).includes('noatime'), '/proc/mounts says noatime')
})

t.test('strictatime: a read moves even an atime later than mtime and ctime', async t => {
  const m = await mountMeridian(t, { mount: { atime: 'strictatime', attrTimeout: 0 } })
  const atime = await readAt(m.dir, inAnHour(), OLD)
  t.ok(Math.abs(atime - Date.now()) < 5000, 'atime is now')
})

t.test('relatime (the default) leaves such an atime', async t => {
  const m = await mountMeridian(t, { mount: { attrTimeout: 0 } })
  const later = inAnHour()
  t.equal(await readAt(m.dir, later, OLD), later.getTime())
})

t.test('ro: the kernel refuses changes', async t => {
  const m = await mountMeridian(t, { mount: { readOnly: true } })
  await t.rejects(writeFile(`${m.dir}/f`, 'x'), code('EROFS'))
  t.equal(optionsOf(m.dir)[0], 'ro')
})

t.test('suid and dev: the mount is made without nosuid and nodev', { skip: process.getuid?.() !== 0 && 'needs root' }, async t => {
  const m = await mountMeridian(t, { mount: { suid: true, dev: true } })
  t.notOk(optionsOf(m.dir).includes('nosuid'), 'no nosuid')
  t.notOk(optionsOf(m.dir).includes('nodev'), 'no nodev')
  const plain = await mountMeridian(t)
  t.ok(optionsOf(plain.dir).includes('nosuid') && optionsOf(plain.dir).includes('nodev'), 'a plain mount is nosuid,nodev')
})

t.test('meridian mount -o remount,ro and back to rw on a live mount', { skip: process.getuid?.() !== 0 && 'needs root' }, async t => {
  const m = await mountMeridian(t, { mount: { attrTimeout: 0 } })
  const f = `${m.dir}/f`
  await writeFile(f, 'data')
  await utimes(f, OLD, OLD)
  await serve(m.dir, { options: 'remount,ro' })
  t.equal(optionsOf(m.dir)[0], 'ro')
  await t.rejects(writeFile(f, 'x'), code('EROFS'))
  m.mount.followRemount()
  await readFile(f)
  t.equal((await stat(f)).atimeMs, OLD.getTime(), 'a read-only mount writes no atime')
  await serve(m.dir, { options: 'remount,rw' })
  m.mount.followRemount()
  await writeFile(f, 'again')
  t.equal(await readFile(f, 'utf8'), 'again')
  await t.rejects(serve(m.dir, { options: 'remount,noatime' }), /remount changes only ro or rw/)
})

t.test('acl: an ACL entry grants another user what the mode bits do not', { skip: process.getuid?.() !== 0 && 'needs root' }, async t => {
  /** f, mode 0600, readable by nobody through a named user entry; what nobody's cat says */
  const grant = async (acl: boolean, binding?: 'fuse-native') => {
    const m = await mountMeridian(t, { mount: { acl, allowOther: true, attrTimeout: 0, ...(binding ? { binding } : {}) } })
    await chmod(m.root, 0o755)
    const f = `${m.dir}/f`
    await writeFile(f, 'data', { mode: 0o600 })
    await run('setfacl', ['-m', 'u:nobody:r', f])
    return run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', f], { encoding: 'utf8' })
  }
  t.equal((await grant(true)).stdout, 'data', 'with -o acl, lib/fs checks the ACL')
  t.equal((await grant(false)).stdout, 'data', 'without: the low-level binding lets the kernel check ACLs (FUSE_POSIX_ACL)')
  await t.rejects(grant(false, 'fuse-native'), /Permission denied/, 'fuse-native without -o acl: the kernel checks the mode bits first')
})
