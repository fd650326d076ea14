// Through --allow-other, users other than root get exactly POSIX permissions (issue 13 item 6):
// real unprivileged users (made with useradd when absent, removed again), each call made by a
// process that setpriv turned into that user with that user's groups, on a real FUSE mount and
// on a local directory as the reference; every result (errno), and the owners, groups and modes
// left behind, must be the same.
import t from 'tap'
import { execFile } from 'node:child_process'
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { mountMeridian } from '../fixtures/mount'

const run = promisify(execFile)
/** the system's python3: one under root's home (pyenv) is out of the test users' reach */
const PYTHON = '/usr/bin/python3'
const ALICE = 'meridian-alice'
const BOB = 'meridian-bob'
const TEAM = 'meridian-team'

// one call as the user setpriv made us; prints 'ok' (with the owner of what it created) or the errno's name
const CALL = `
import errno, os, sys
op, args = sys.argv[1], sys.argv[2:]
def create(p):
    os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o664))
    return os.stat(p)
def append(p):
    fd = os.open(p, os.O_WRONLY | os.O_APPEND)
    os.write(fd, b'x')
    os.close(fd)
calls = {
    'read': lambda p: open(p, 'rb').read() and None,
    'append': append,
    'create': create,
    'mkdir': lambda p: (os.mkdir(p, 0o775), os.stat(p))[1],
    'unlink': os.unlink,
    'rmdir': os.rmdir,
    'rename': os.rename,
    'list': lambda p: os.listdir(p) and None,
    'stat': os.stat,
    'chmod': lambda p, m: os.chmod(p, int(m, 8)),
    'chown': lambda p, u, g: os.chown(p, int(u), int(g)),
    'truncate': lambda p: os.truncate(p, 0),
    'settimes': lambda p: os.utime(p, (1000000000, 1000000000)),
    'touch': lambda p: os.utime(p),
}
try:
    r = calls[op](*args)
    print('ok' if not isinstance(r, os.stat_result) or op == 'stat' else 'ok %o %d:%d' % (r.st_mode & 0o7777, r.st_uid, r.st_gid))
except OSError as e:
    print(errno.errorcode[e.errno])
`

interface Ids { uid: number; gid: number }
const ids: Record<string, Ids> = {}
let teamGid = 0

async function idOf(user: string): Promise<Ids> {
  const out = (flag: string) => run('id', [flag, user], { encoding: 'utf8' }).then(r => Number(r.stdout.trim()))
  return { uid: await out('-u'), gid: await out('-g') }
}

/** ensureUsers makes the test's users and their shared group when absent, and removes what it made at teardown */
async function ensureUsers(t: tap.Test): Promise<void> {
  if (!(await run('getent', ['group', TEAM]).then(() => true, () => false))) {
    await run('groupadd', ['--system', TEAM])
    t.teardown(() => run('groupdel', [TEAM]).catch(() => undefined))
  }
  for (const user of [ALICE, BOB]) {
    if (!(await run('id', [user]).then(() => true, () => false))) {
      await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', '--groups', TEAM, user])
      // teardowns run last first: the users go before their group
      t.teardown(() => run('userdel', [user]).catch(() => undefined))
    }
    ids[user] = await idOf(user)
  }
  teamGid = Number((await run('getent', ['group', TEAM], { encoding: 'utf8' })).stdout.split(':')[2])
}

/** prepare lays out the same tree, as root, in root */
async function prepare(root: string): Promise<void> {
  const a = ids[ALICE]
  const b = ids[BOB]
  const dir = async (rel: string, mode: number, owner: Ids) => {
    await mkdir(join(root, rel))
    await chown(join(root, rel), owner.uid, owner.gid)
    await chmod(join(root, rel), mode)
  }
  const file = async (rel: string, mode: number, owner: Ids) => {
    await writeFile(join(root, rel), 'some bytes\n')
    await chown(join(root, rel), owner.uid, owner.gid)
    await chmod(join(root, rel), mode)
  }
  const rootIds = { uid: 0, gid: 0 }
  const team = { uid: a.uid, gid: teamGid }
  await chmod(root, 0o755)
  await dir('shared', 0o777, rootIds)
  await dir('sticky', 0o1777, rootIds)
  await file('sticky/alices', 0o666, a)
  await dir('alice', 0o750, team)
  await file('alice/notes', 0o640, team)
  await file('alice/secret', 0o600, a)
  await dir('bob', 0o700, b)
  await file('bob/f', 0o644, b)
  await file('world', 0o644, rootIds)
  await file('rw', 0o666, rootIds)
  await dir('setgid', 0o2775, { uid: 0, gid: teamGid })
}

/** the calls, in order: who, what, on which paths (relative to the root), with what arguments */
const STEPS: Array<[string, string, ...string[]]> = [
  [ALICE, 'read', 'alice/secret'], [BOB, 'read', 'alice/secret'], [BOB, 'read', 'alice/notes'], [BOB, 'append', 'alice/notes'],
  [BOB, 'list', 'alice'], [BOB, 'create', 'alice/new'], [ALICE, 'list', 'bob'], [ALICE, 'read', 'bob/f'], [ALICE, 'stat', 'bob/f'],
  [ALICE, 'append', 'world'], [ALICE, 'append', 'rw'], [ALICE, 'create', 'x'], [ALICE, 'mkdir', 'y'],
  [ALICE, 'create', 'shared/a'], [BOB, 'unlink', 'shared/a'], [ALICE, 'create', 'sticky/b'], [BOB, 'unlink', 'sticky/b'],
  [BOB, 'unlink', 'sticky/alices'], [BOB, 'rename', 'sticky/alices', 'sticky/mine'], [ALICE, 'rename', 'sticky/alices', 'sticky/renamed'],
  [ALICE, 'chmod', 'bob/f', '777'], [BOB, 'chmod', 'alice/notes', '777'], [ALICE, 'chmod', 'alice/notes', '660'],
  [ALICE, 'chown', 'alice/secret', '$BOB_UID', '-1'], [ALICE, 'chown', 'alice/secret', '-1', '$TEAM_GID'], [BOB, 'chown', 'bob/f', '-1', '$TEAM_GID'],
  [ALICE, 'mkdir', 'setgid/d'], [ALICE, 'create', 'setgid/f'], [BOB, 'create', 'setgid/d/g'],
  [BOB, 'truncate', 'world'], [BOB, 'truncate', 'rw'], [ALICE, 'settimes', 'world'], [ALICE, 'settimes', 'rw'], [ALICE, 'touch', 'rw'], [ALICE, 'touch', 'world'],
  [ALICE, 'rmdir', 'bob'], [BOB, 'rmdir', 'alice'], [ALICE, 'unlink', 'alice/secret'],
]

async function call(root: string, [user, op, ...args]: [string, string, ...string[]]): Promise<string> {
  const filled = args.map(a => a === '$BOB_UID' ? String(ids[BOB].uid) : a === '$TEAM_GID' ? String(teamGid) : a)
  const paths = op === 'chmod' || op === 'chown' ? [join(root, filled[0]), ...filled.slice(1)] : filled.map(p => join(root, p))
  const { stdout } = await run('setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--', PYTHON, '-c', CALL, op, ...paths], { encoding: 'utf8' })
  return stdout.trim()
}

async function tree(root: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(root, { withFileTypes: true })) {
    const full = join(root, e.name)
    const st = await stat(full)
    out.push(`${relative(root, full) || e.name} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}${e.isFile() ? ` ${st.size}` : ''}`)
    if (e.isDirectory()) out.push(...(await tree(full)).map(l => `${e.name}/${l}`))
  }
  return out.sort()
}

async function play(root: string): Promise<{ results: string[]; after: string[] }> {
  await prepare(root)
  const results: string[] = []
  for (const step of STEPS) results.push(`${step.join(' ')}: ${await call(root, step)}`)
  return { results, after: await tree(root) }
}

t.test('other users through --allow-other get what a local directory gives them', { skip: process.getuid?.() === 0 ? undefined : 'needs root: useradd, setpriv, chown' }, async t => {
  await ensureUsers(t)
  const local = await mkdtemp(join(tmpdir(), 'meridian-perm-ref-'))
  t.teardown(() => rm(local, { recursive: true, force: true }))
  const reference = await play(local)

  const m = await mountMeridian(t, { mount: { allowOther: true } })
  await chmod(m.root, 0o755)
  const meridian = await play(m.dir)

  t.same(meridian.results, reference.results, 'every call as alice or bob ends as on the local directory')
  t.same(meridian.after, reference.after, 'and leaves the same owners, groups, modes and sizes')
  // the reference is what POSIX says: a few of its answers, spelled out
  const said = (step: string) => reference.results.find(r => r.startsWith(step + ':'))?.split(': ')[1]
  t.equal(said(`${BOB} read alice/secret`), 'EACCES', 'bob cannot read alice\'s 0600 file')
  t.equal(said(`${BOB} read alice/notes`), 'ok', 'bob reads a 0640 file of a group he is in')
  t.equal(said(`${BOB} unlink sticky/alices`), 'EPERM', 'bob cannot remove alice\'s file from a sticky directory')
  t.match(said(`${ALICE} create setgid/f`) ?? '', new RegExp(`^ok \\d+ ${ids[ALICE].uid}:${teamGid}$`), 'a file in a setgid directory takes its group')
  t.equal(said(`${ALICE} chown alice/secret $BOB_UID -1`), 'EPERM', 'alice cannot give a file away')
})
