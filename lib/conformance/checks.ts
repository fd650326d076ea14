// The checks and scripts the conformance cases (cases.ts) are made of: a check asserts what a
// directory holds after a case ran; a script is the body several cases share.
import { createHash, randomBytes } from 'node:crypto'
import type { Assert } from './assert'
import { CaseDir } from './case-dir'
import type { Check, PosixCase } from './types'

// ---- checks ----

export const all = (...checks: Check[]): Check => async (t, d, result) => {
  for (const check of checks) await check(t, d, result)
}
export const text = (rel: string, want: string): Check => async (t, d) => t.equal(await d.text(rel), want, `${rel} holds ${JSON.stringify(want)}`)
export const bytes = (rel: string, want: Buffer): Check => async (t, d) => t.ok((await d.read(rel)).equals(want), `${rel} holds the expected ${want.length} bytes`)
export const size = (rel: string, want: number): Check => async (t, d) => t.equal((await d.stat(rel)).size, want, `${rel} size`)
export const exists = (rel: string): Check => async (t, d) => t.ok(await d.exists(rel), `${rel} exists`)
export const gone = (rel: string): Check => async (t, d) => t.notOk(await d.exists(rel), `${rel} does not exist`)
export const listing = (rel: string, names: string[]): Check => async (t, d) => t.same(await d.list(rel), [...names].sort(), `${rel} lists ${names}`)
export const perms = (rel: string, want: number): Check => async (t, d) => t.equal((await d.stat(rel)).mode & 0o7777, want, `${rel} mode ${want.toString(8)}`)
export const fullMode = (rel: string, want: number): Check => async (t, d) => t.equal((await d.stat(rel)).mode, want, `${rel} type and mode ${want.toString(8)}`)
export const nlink = (rel: string, want: number): Check => async (t, d) => t.equal((await d.lstat(rel)).nlink, want, `${rel} nlink`)
export const isDir = (rel: string): Check => async (t, d) => t.ok((await d.lstat(rel)).isDirectory(), `${rel} is a directory`)
export const isFile = (rel: string): Check => async (t, d) => t.ok((await d.lstat(rel)).isFile(), `${rel} is a regular file`)
export const isSymlink = (rel: string): Check => async (t, d) => t.ok((await d.lstat(rel)).isSymbolicLink(), `${rel} is a symlink`)
export const linksTo = (rel: string, target: string): Check => async (t, d) => t.equal(await d.readlink(rel), target, `${rel} -> ${target}`)
export const sameInode = (a: string, b: string): Check => async (t, d) => t.equal((await d.lstat(a)).ino, (await d.lstat(b)).ino, `${a} and ${b} are one inode`)
export const owner = (rel: string, uid: number, gid: number): Check => async (t, d) => t.match(await d.lstat(rel), { uid, gid }, `${rel} owned by ${uid}:${gid}`)
export const xattr = (rel: string, name: string, want: string): Check => async (t, d) => t.equal((await d.getxattr(rel, name)).toString(), want, `${rel} ${name}`)

export const zeros = (n: number) => Buffer.alloc(n)

// Timestamps: PAST is set first, so a time near now shows the operation updated it. The slack
// allows for the kernel's coarse clock and for a file server whose clock is a little off.
export const PAST = new Date('2001-09-09T01:46:40.123Z')
export const LATER = new Date('2004-02-29T12:00:00.456Z')
export const SLACK_MS = 5000
export const recent = (rel: string, field: 'mtimeMs' | 'atimeMs'): Check => async (t, d) => {
  const ms = (await d.stat(rel))[field]
  t.ok(Math.abs(ms - Date.now()) < SLACK_MS, `${rel} ${field} ${new Date(ms).toISOString()} is about now`)
}
export const times = (rel: string, atime: Date, mtime: Date): Check => async (t, d) => {
  const st = await d.stat(rel)
  t.equal(Math.round(st.atimeMs), atime.getTime(), `${rel} atime to the millisecond`)
  t.equal(Math.round(st.mtimeMs), mtime.getTime(), `${rel} mtime to the millisecond`)
}

// Times the kernel and ext4 keep exactly (ext4: 1901 to 2446), as touch -d takes them and
// stat %.9X prints them
export const EXACT_TIMES: Array<[string, string]> = [
  ['@-2147483648', '-2147483648.000000000'],
  ['@-1', '-1.000000000'],
  ['1960-01-01 12:00:00.123456789 UTC', '-315575999.876543211'],
  ['2020-05-05 10:00:00.123456789 UTC', '1588672800.123456789'],
  ['@8589934592.987654321', '8589934592.987654321'],
]
export const exactTimes = (rel: string, want: string): Check => async (t, d) => t.equal(await d.exactTimes(rel), want, `${rel} atime and mtime ${want}`)
export const removable = (rel: string): Check => async (t, d) => {
  await d.unlink(rel)
  t.notOk(await d.exists(rel), `${rel} removed`)
}

export const facl = (rel: string, ...lines: string[]): Check => async (t, d) => t.equal(await d.getfacl(rel), lines.join('\n'), `${rel} has the ACL ${lines.join(',')}`)
/** user::rwx group::r-- other::r-- in the kernel's xattr format (version 2; tag, perm, id per entry) */
export const MINIMAL_ACL = Buffer.from('02000000' + '01000700ffffffff' + '04000400ffffffff' + '20000400ffffffff', 'hex')

// ---- scripts ----

/** checksumRoundTrip writes random bytes in chunks of one size and reads them back in chunks of another. */
export const checksumRoundTrip = (rel: string, bytesTotal: number) => async (d: CaseDir, t: Assert) => {
  const data = randomBytes(bytesTotal)
  await d.withHandle(rel, 'w', async fh => {
    for (let at = 0; at < data.length; at += 100_000) await fh.write(data, at, Math.min(100_000, data.length - at), at)
  })
  const hash = createHash('sha256')
  await d.withHandle(rel, 'r', async fh => {
    const buf = Buffer.alloc(65_537)
    for (let at = 0, n = 1; n > 0; at += n) {
      n = (await fh.read(buf, 0, buf.length, at)).bytesRead
      hash.update(buf.subarray(0, n))
    }
  })
  t.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'), 'sha256 of what was read back')
  t.equal((await d.stat(rel)).size, bytesTotal)
}

export const manyNames = Array.from({ length: 2000 }, (_, i) => `entry-${i}`)

export async function createMany(d: CaseDir, dir: string, names: string[]): Promise<void> {
  await d.mkdir(dir)
  for (let i = 0; i < names.length; i += 100) await Promise.all(names.slice(i, i + 100).map(n => d.write(`${dir}/${n}`)))
}

export const smallWrites = Array.from({ length: 1000 }, (_, i) => `write ${i};`)

export const name255 = 'n'.repeat(255)
export const utf8Name255 = 'é'.repeat(127) + 'n' // 'é' is 2 bytes in UTF-8
export const utf8Name256 = 'é'.repeat(128)
export const oddNames = ['with space', 'new\nline', 'tab\there', 'ünïcødé', '日本語', '-dash', 'back\\slash', 'colon:star*?', '.hidden', '..dots', ' ']
export const longPath = Array.from({ length: 21 }, () => 'p'.repeat(200)).join('/') // over PATH_MAX (4096)

export const withSkip = (skip: string | undefined, cases: PosixCase[]): PosixCase[] => cases.map(c => ({ ...c, skip }))

