// Crash safety of `meridian mount --background` (embedded store and local pool in a temporary
// MERIDIAN_HOME): a writer process (fixtures/crash-writer.ts) writes files of random sizes into
// the mount and journals each one, outside the mount, once its fsync and close returned. The
// MOUNT process is killed -9 mid-way, three times at different moments. After each kill the
// next `mount --background` recovers the stale mountpoint; every journaled file reads back
// with its sha256; the filesystem takes writes again; and fsck finds the metadata consistent
// (data is written before metadata, so a crash leaves at most unreferenced blobs, which fsck
// allows). The mounts are served by other processes; this process still
// uses only asynchronous calls, since the writer runs alongside.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { FsckReport } from '../lib/fsck/check'
import { fuseMounts, fusermount, isMounted } from '../lib/fuse/mounts'
import { errorCode, sha256 } from '../fixtures/file-checks'

const execFileAsync = promisify(execFile)
const bin = join(__dirname, '..', 'bin', 'meridian.js')
const writerScript = join(__dirname, '..', 'fixtures', 'crash-writer.js')
const ROUNDS = 3

/** alive tells whether pid runs: neither gone nor a zombie waiting to be reaped */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

async function waitDead(pid: number, ms = 15_000): Promise<boolean> {
  for (const giveUp = Date.now() + ms; Date.now() < giveUp; await sleep(25)) {
    if (!(await alive(pid))) return true
  }
  return false
}

/** the journal's complete lines: path under the mount -> sha256 */
async function journaled(journal: string): Promise<Map<string, string>> {
  const text = await readFile(journal, 'utf8').catch(() => '')
  const entries = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^(\S+) ([0-9a-f]{64})$/.exec(line)
    if (m) entries.set(m[1], m[2])
  }
  return entries
}

t.test('kill -9 of the mount process, three times: journaled files survive, fsck is clean, writes go on', async t => {
  const pids = new Set<number>()
  let home: string | undefined
  // registered before anything exists: whatever fails, no process, mount or directory stays
  t.teardown(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
    if (home === undefined) return
    for (const m of fuseMounts().filter(m => m.dir.startsWith(home!))) await fusermount(['-uz', m.dir]).catch(() => undefined)
    await rm(home, { recursive: true, force: true })
  })
  home = await mkdtemp(join(tmpdir(), 'meridian-crash-'))
  const env = { ...process.env, MERIDIAN_HOME: home }
  const dir = join(home, 'mnt')
  const journal = join(home, 'journal')
  await mkdir(dir)

  /** runs the CLI; err keeps its own messages, not the JSON log lines */
  const meridian = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const messages = (text: string) => text.split('\n').filter(l => !l.startsWith('{')).join('\n').trim()
    try {
      const r = await execFileAsync(process.execPath, [bin, ...args], { env, timeout: 60_000 })
      return { code: 0, out: r.stdout, err: messages(r.stderr) }
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string }
      return { code: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '', err: messages(e.stderr ?? String(err)) }
    }
  }
  /** waits for pid to die, then stops tracking it (so teardown never signals a reused pid) */
  const reaped = async (pid: number): Promise<boolean> => {
    const dead = await waitDead(pid)
    if (dead) pids.delete(pid)
    return dead
  }
  const mountBackground = async (): Promise<number> => {
    const r = await meridian('mount', '--background', dir)
    const pid = Number(/\(pid (\d+)/.exec(r.out)?.[1])
    if (pid > 0) pids.add(pid)
    t.equal(r.code, 0, `mount --background: ${r.err}`)
    t.ok(pid > 0 && isMounted(dir), 'mounted in the background')
    return pid
  }
  const fsck = async (when: string): Promise<void> => {
    const r = await meridian('fsck', '--json')
    const report = JSON.parse(r.out || '{}') as Partial<FsckReport>
    t.same(report.problems, [], `fsck ${when}: no problems`)
    t.equal(r.code, 0, `fsck ${when}: exit 0 (${report.inodes} inodes, ${report.entries} entries, ${report.blobs} blobs) ${r.err}`)
  }

  let mountPid = await mountBackground()
  for (let round = 0; round < ROUNDS; round++) {
    const before = (await journaled(journal)).size
    const writer = spawn(process.execPath, [writerScript, dir, journal], { stdio: ['ignore', 'ignore', 'pipe'] })
    pids.add(writer.pid!)
    let writerErr = ''
    writer.stderr.on('data', d => (writerErr += d))
    const writerExit = new Promise<void>(resolve => writer.once('exit', () => {
      pids.delete(writer.pid!)
      resolve()
    }))

    // let it write a few files, then kill the mount at a random moment of the next 0.4 s
    const target = before + 4 + 4 * round
    for (const giveUp = Date.now() + 60_000; (await journaled(journal)).size < target; await sleep(20)) {
      if (writer.exitCode !== null || writer.signalCode !== null || Date.now() > giveUp) throw new Error(`the writer stopped before ${target} files: ${writerErr}`)
    }
    await sleep(Math.random() * 400)
    process.kill(mountPid, 'SIGKILL')
    t.ok(await reaped(mountPid), `round ${round + 1}: the mount process is dead`)
    writer.kill('SIGKILL')
    await writerExit
    // statfs, not stat: the kernel may answer stat of the mount root from its attribute cache
    // for up to attr_timeout (1 s) after the server died; a FUSE statfs always asks the server
    t.match(await errorCode(statfs(dir)), /^(ENOTCONN|ECONNABORTED)$/, 'its mountpoint is stale (not connected, or aborted)')

    const again = await meridian('mount', '--background', dir)
    t.equal(again.code, 0, `mount --background at once recovers the stale mountpoint: ${again.err}`)
    mountPid = Number(/\(pid (\d+)/.exec(again.out)?.[1])
    pids.add(mountPid)

    const entries = await journaled(journal)
    const wrong: string[] = []
    for (const [name, digest] of entries) {
      const actual = await sha256(join(dir, name)).catch((err: NodeJS.ErrnoException) => err.code ?? String(err))
      if (actual !== digest) wrong.push(`${name}: ${actual}`)
    }
    t.same(wrong, [], `all ${entries.size} journaled files read back with their sha256 (${entries.size - before} from this round)`)
    const written = (await readdir(join(dir, `w${writer.pid}`))).length
    t.ok(written >= entries.size - before, `the crash cut off ${written - (entries.size - before)} file(s) being written (not journaled, so not checked)`)

    const probe = randomBytes(100_000 + round)
    await writeFile(join(dir, `probe-${round}`), probe)
    t.ok((await readFile(join(dir, `probe-${round}`))).equals(probe), 'the filesystem takes writes again')

    // the embedded store belongs to the mount that has it open: fsck runs between mounts
    const u = await meridian('umount', dir)
    t.equal(u.code, 0, `umount: ${u.err}`)
    t.ok(await reaped(mountPid), 'the recovered mount exits')
    await fsck(`after kill ${round + 1}`)
    if (round < ROUNDS - 1) mountPid = await mountBackground()
  }
})
