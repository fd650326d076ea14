// Real tools inside a Meridian mount (tar, git, rsync, sqlite3), each compared byte for byte with
// the same work on a local directory. The mount is served by this process, so every tool runs
// as an asynchronous child process (a synchronous one would block the event loop serving it),
// and never with its cwd inside the mount: libuv's spawn waits, blocking the event loop, until
// the child has called exec, and the child changes into its cwd before that (a lookup only this
// process can answer). Tools get the mount as an argument instead (git -C, tar -C).
import t from 'tap'
import { execFile } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { mountMeridian } from '../fixtures/mount'
import { sampleTree, seededBytes } from '../fixtures/sample-tree'
import { sha256 } from '../fixtures/file-checks'

const execFileAsync = promisify(execFile)

/** run a command asynchronously; rejects (stderr in the message) on a non-zero exit or after 60 s */
async function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  return execFileAsync(cmd, args, { ...opts, timeout: 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' })
}

/** a fresh local directory under os.tmpdir(), removed at teardown */
async function localDir(t: { teardown(fn: () => unknown): void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `meridian-${prefix}-`))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

interface Entry {
  type: 'file' | 'dir' | 'symlink' | 'other'
  mode: string
  uid: number
  gid: number
  nlink?: number
  size?: number
  mtime: number
  target?: string
  sha256?: string
  /** every name in this tree with the same st_ino (hard links), sorted */
  links?: string[]
}

/**
 * snapshot describes every name under root, relative to it ('.' is root itself): type, mode,
 * owner, size, mtime (whole seconds), symlink target, sha256 of contents, and the hard-link group
 * (the names sharing its st_ino). Directory sizes and link counts are filesystem-specific and
 * left out.
 */
async function snapshot(root: string): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {}
  const inodes = new Map<number, string[]>()
  const inoOf = new Map<string, number>()
  async function visit(rel: string): Promise<void> {
    const abs = rel === '.' ? root : join(root, rel)
    const st = await lstat(abs)
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other'
    const e: Entry = { type, mode: st.mode.toString(8), uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) }
    out[rel] = e
    if (type === 'dir') {
      for (const name of (await readdir(abs)).sort()) await visit(rel === '.' ? name : `${rel}/${name}`)
      return
    }
    e.size = st.size
    e.nlink = st.nlink
    if (type === 'symlink') e.target = await readlink(abs)
    if (type === 'file') e.sha256 = await sha256(abs)
    inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), rel])
    inoOf.set(rel, st.ino)
  }
  await visit('.')
  for (const [rel, ino] of inoOf) out[rel].links = [...inodes.get(ino)!].sort()
  return out
}

const lines = (s: string) => s.split('\n').filter(l => l !== '')

/** a snapshot without its mtimes, and the mtimes alone: so that a failure says which it is */
function split(s: Record<string, Entry>): [Record<string, Omit<Entry, 'mtime'>>, Record<string, number>] {
  const shape: Record<string, Omit<Entry, 'mtime'>> = {}
  const mtimes: Record<string, number> = {}
  for (const [name, { mtime, ...rest }] of Object.entries(s)) {
    shape[name] = rest
    mtimes[name] = mtime
  }
  return [shape, mtimes]
}

// attrTimeout 0: the other names of a hard-linked file would otherwise show a stale nlink for
// up to 1 s (docs/fuse.md), and tar -c and rsync -H find hard links by nlink > 1
t.test('tar: extract into the mount and into a local directory, then archive from the mount', async t => {
  const m = await mountMeridian(t, { mount: { attrTimeout: 0 } })
  const local = await localDir(t, 'tar')
  const src = join(local, 'src')
  await mkdir(src)
  await sampleTree(src)
  const archive = join(local, 'sample.tar')
  await run('tar', ['--sort=name', '-cf', archive, '-C', src, '.'])

  const mine = join(m.dir, 'x')
  const ref = join(local, 'x')
  await Promise.all([mkdir(mine), mkdir(ref)])
  await run('tar', ['-xpf', archive, '-C', mine])
  await run('tar', ['-xpf', archive, '-C', ref])

  const want = await snapshot(src)
  t.same(await snapshot(ref), want, 'reference: the local extraction reproduces the source tree')
  const got = await snapshot(mine)
  const [gotShape, gotMtimes] = split(got)
  const [wantShape, wantMtimes] = split(want)
  t.same(gotShape, wantShape, 'extracted into the mount: names, types, sizes, modes, owners, targets, hard links, sha256')
  t.same(got['a/b/large.bin']?.links, ['a/b/large.bin'], 'a plain file is alone on its inode')
  t.same(got['linked']?.links, ['a/b/c/d/linked-3', 'a/linked-2', 'linked'], 'the three hard links share one st_ino')
  t.equal(got['dangling']?.target, 'nowhere/missing-file', 'a dangling symlink survives')
  t.equal(got['secret']?.mode, '100600')
  t.equal(got['run.sh']?.mode, '100755')
  // tar -x sets every time with the access time omitted, utimensat(fd, NULL or name,
  // [UTIME_OMIT, mtime], flags), and a regular file's while it is still open after its writes
  t.same(gotMtimes, wantMtimes, 'extracted into the mount: mtimes of files, symlinks and directories')

  // tar -c reading the mount: the sample tree written into the mount by this process (node's
  // utimes sets both times) against the same tree written locally; the archive goes into the mount
  const gen = join(m.dir, 'gen')
  await mkdir(gen)
  await sampleTree(gen)
  const fromMount = join(m.dir, 'from-mount.tar')
  await run('tar', ['--sort=name', '-cf', fromMount, '-C', gen, '.'])
  const list = async (a: string) => lines((await run('tar', ['--full-time', '-tvf', a])).stdout)
  const listed = await list(fromMount)
  t.same(listed, await list(archive), 'the archive from the mount lists the same entries (types, modes, owners, sizes, mtimes, links)')
  t.ok(listed.some(l => /^h.* \.\/a\/linked-2 link to \.\/a\/b\/c\/d\/linked-3$/.test(l)), 'hard links archived as links')
  t.equal(await sha256(fromMount), await sha256(archive), 'and is byte-identical to the archive of the local tree')
})

const gitEnv = (home: string): NodeJS.ProcessEnv => ({
  ...process.env,
  HOME: home,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Meridian Test',
  GIT_AUTHOR_EMAIL: 'test@meridian.invalid',
  GIT_AUTHOR_DATE: '2024-01-02T03:04:05Z',
  GIT_COMMITTER_NAME: 'Meridian Test',
  GIT_COMMITTER_EMAIL: 'test@meridian.invalid',
  GIT_COMMITTER_DATE: '2024-01-02T03:04:05Z',
})

t.test('git: the same commits in the mount and locally; fsck and status clean', async t => {
  const m = await mountMeridian(t)
  const local = await localDir(t, 'git')
  const env = gitEnv(local)
  const mine = join(m.dir, 'repo')
  const ref = join(local, 'repo')
  const git = (dir: string, ...args: string[]) => run('git', ['-C', dir, ...args], { env })

  for (const dir of [mine, ref]) {
    await mkdir(dir)
    await sampleTree(dir)
    await git(dir, 'init', '-q', '-b', 'main')
    await git(dir, 'add', '-A')
    await git(dir, 'commit', '-q', '-m', 'sample tree')
    // a second commit: a rename, an edit, a deletion, then a repack into a pack file
    await git(dir, 'mv', 'a/b/odd.bin', 'a/odd-moved.bin')
    await writeFile(join(dir, 'README'), 'edited in a second commit\n')
    await git(dir, 'rm', '-q', 'a/b/c/t3.txt')
    await git(dir, 'commit', '-q', '-a', '-m', 'second')
    await git(dir, 'gc', '-q')
  }

  const log = async (dir: string) => lines((await git(dir, 'log', '--format=%H')).stdout)
  const hashes = await log(mine)
  t.equal(hashes.length, 2, 'two commits')
  t.same(hashes, await log(ref), 'identical commit hashes: git saw identical content and metadata')
  const fsck = await git(mine, 'fsck', '--full', '--strict')
  t.equal(fsck.stderr.trim(), '', 'git fsck passes inside the mount, silently')
  t.equal((await git(mine, 'status', '--porcelain')).stdout, '', 'git status --porcelain is empty in the mount')
  t.equal((await git(ref, 'status', '--porcelain')).stdout, '', '... and locally')
  t.equal((await git(mine, 'ls-files', '-s')).stdout, (await git(ref, 'ls-files', '-s')).stdout, 'same index entries (modes, blobs)')
})

t.test('rsync -aH --checksum: local -> mount -> local round trip; a second pass transfers nothing', async t => {
  const m = await mountMeridian(t, { mount: { attrTimeout: 0 } })
  const local = await localDir(t, 'rsync')
  const src = join(local, 'src')
  const back = join(local, 'back')
  const mine = join(m.dir, 'copy')
  await mkdir(src)
  await sampleTree(src)

  await run('rsync', ['-aH', '--checksum', `${src}/`, `${mine}/`])
  await run('rsync', ['-aH', '--checksum', `${mine}/`, `${back}/`])
  const want = await snapshot(src)
  t.same(await snapshot(mine), want, 'the copy in the mount equals the source')
  t.same(await snapshot(back), want, 'the copy back out of the mount equals the source')
  const diff = await run('diff', ['-r', '--no-dereference', src, back]).then(
    r => r.stdout,
    (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? String(err)}`,
  )
  t.equal(diff, '', 'diff -r finds no difference')

  const again = await run('rsync', ['-aH', '--checksum', '--itemize-changes', `${src}/`, `${mine}/`])
  t.same(lines(again.stdout), [], 'a second rsync from local to the mount has nothing to do')
})

/** the same deterministic SQL script for both places: 2000 inserts, an update, a delete, a rollback */
function sqlScript(journal: 'delete' | 'wal'): string {
  const out = [`PRAGMA journal_mode = ${journal};`]
  out.push('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, data BLOB);')
  out.push('CREATE INDEX t_name ON t (name);')
  const blobs = seededBytes(`sqlite/${journal}`, 2000 * 48)
  for (let tx = 0; tx < 4; tx++) {
    out.push('BEGIN;')
    for (let i = tx * 500 + 1; i <= (tx + 1) * 500; i++) {
      const data = blobs.subarray((i - 1) * 48, i * 48).toString('hex')
      out.push(`INSERT INTO t (id, name, n, data) VALUES (${i}, 'row-${(i * 7919) % 2003}', ${i * i}, x'${data}');`)
    }
    out.push('COMMIT;')
  }
  out.push("UPDATE t SET n = -n, name = name || '-updated' WHERE id % 7 = 0;")
  out.push('DELETE FROM t WHERE id % 11 = 0;')
  // a transaction large enough to spill out of a tiny cache into the journal (or the WAL), rolled back
  out.push('PRAGMA cache_size = 8;')
  out.push('BEGIN;')
  out.push('UPDATE t SET data = zeroblob(3000), name = \'doomed\';')
  out.push('DELETE FROM t WHERE id > 1000;')
  out.push('INSERT INTO t (name) VALUES (\'never\');')
  out.push('ROLLBACK;')
  out.push('SELECT count(*), sum(n), sum(length(data)) FROM t;')
  out.push("SELECT count(*) FROM t WHERE name = 'doomed' OR name = 'never';")
  return out.join('\n') + '\n'
}

for (const journal of ['delete', 'wal'] as const) {
  t.test(`sqlite3 (journal_mode ${journal}): the same transactions, integrity ok, identical dump`, async t => {
    const m = await mountMeridian(t)
    const local = await localDir(t, 'sqlite')
    const script = join(local, 'script.sql')
    await writeFile(script, sqlScript(journal))
    const mine = join(m.dir, 'db')
    const ref = join(local, 'db')
    await Promise.all([mkdir(mine), mkdir(ref)])
    const sql = async (dir: string, ...args: string[]) => (await run('sqlite3', ['-bail', join(dir, 'test.db'), ...args])).stdout

    const out = await sql(mine, `.read ${script}`)
    t.same(lines(out), await sql(ref, `.read ${script}`).then(lines), 'the script prints the same in both places')
    t.same(lines(out), [journal, '1819|1732841109|87312', '0'], 'what the transactions leave (the rollback undid its work)')
    t.equal((await sql(mine, 'PRAGMA integrity_check;')).trim(), 'ok', 'integrity_check ok in the mount')
    t.equal((await sql(ref, 'PRAGMA integrity_check;')).trim(), 'ok', 'integrity_check ok locally')
    t.equal((await sql(mine, 'PRAGMA journal_mode;')).trim(), journal, `still journal_mode ${journal}`)
    const dump = await sql(mine, '.dump')
    t.ok(dump.length > 100_000, `a dump of ${dump.length} bytes`)
    t.equal(dump, await sql(ref, '.dump'), '.dump is identical')
    t.same((await readdir(mine)).sort(), (await readdir(ref)).sort(), 'the same files are left (no journal, no WAL)')
    t.equal(await sha256(join(mine, 'test.db')), await sha256(join(ref, 'test.db')), 'and the database files are byte-identical')
  })
}
