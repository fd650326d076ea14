// meridian status and meridian info as an operator runs them (separate processes), and the
// rule that read-only commands never create anything. status runs on a real 3-member etcd
// cluster with a live session of this process, so that members, leader, lag and the session's
// host and age are real.
import t from 'tap'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../fixtures/cli-process'
import { startEtcd } from '../fixtures/etcd-cluster'
import { openFilesystem } from '../lib/client/open'
import { openStore } from '../lib/meta'

const home = mkdtempSync(join(tmpdir(), 'meridian-status-'))
t.teardown(() => rmSync(home, { recursive: true, force: true }))
const env = { ...process.env, MERIDIAN_HOME: home }

const meridian = (...args: string[]) => runCli(args, env)
async function json(t: tap.Test, ...args: string[]) {
  const r = await meridian(...args, '--json')
  t.equal(r.code, 0, `${args.join(' ')}: ${r.err}`)
  return JSON.parse(r.out)
}

t.test('read-only commands on a store that is not there: one line, nothing created', async t => {
  const missing = join(home, 'nowhere', 'none.db')
  for (const args of [['status'], ['fsck'], ['info', '/'], ['explain', '/'], ['pool', 'ls'], ['group', 'ls'], ['policy', 'ls']]) {
    const r = await meridian(...args, '--meta', `sqlite://${missing}`)
    t.equal(r.code, 2, args.join(' '))
    t.equal(r.err, `meridian: meta: no metadata store at ${missing}\n`, `${args.join(' ')}: one line`)
  }
  t.notOk(existsSync(join(home, 'nowhere')), 'neither the file nor its directory was made')
  const r = await meridian('status')
  t.match(r.err, /^meridian: meta: no metadata store at .*meta\.db\n$/, 'the default store neither')
  t.notOk(existsSync(join(home, 'meta.db')))
  // an existing file that is not a store is not made one
  const empty = join(home, 'empty.db')
  writeFileSync(empty, '')
  const e = await meridian('status', '--meta', empty)
  t.equal(e.err, `meridian: meta: ${empty} is not a Meridian metadata store\n`)
  t.equal(statSync(empty).size, 0, 'still empty')
  t.notOk(existsSync(`${empty}-wal`), 'no journal beside it')
})

t.test('status on etcd: members, leader, lag, a live session with its host and age', async t => {
  const etcd = await startEtcd(t, { members: 3 })
  const meta = `etcd://${etcd.endpoints.map(e => e.replace('http://', '')).join(',')}`
  const name = `status-${process.pid}`
  await json(t, 'format', '--meta', meta, '--name', name, '--pool', `local=local:${join(home, 'pool-etcd')}`)
  const store = await openStore(meta)
  t.teardown(() => store.close())
  const fs = await openFilesystem(store, { name, mountpoint: '/mnt/status-test' })
  t.teardown(() => fs.close())

  const s = await json(t, 'status', '--meta', meta, '--name', name)
  t.equal(s.groups.length, 1)
  const root = s.groups[0]
  t.equal(root.engine, 'etcd')
  t.equal(root.members.length, 3, 'three members')
  t.equal(root.members.filter((m: { leader: boolean }) => m.leader).length, 1, 'one leader')
  for (const m of root.members) {
    t.ok(m.reachable, `${m.name} answers`)
    t.ok(m.lag >= 0 && m.revision > 0, `${m.name}: revision ${m.revision}, lag ${m.lag}`)
  }
  t.equal(s.sessions.length, 1, 'the session of this process')
  t.equal(s.sessions[0].host, hostname())
  t.equal(s.sessions[0].pid, process.pid)
  t.equal(s.sessions[0].mountpoint, '/mnt/status-test', 'and where it is mounted')
  t.ok(s.sessions[0].ageMs >= 0 && s.sessions[0].ageMs < 120_000, `age ${s.sessions[0].ageMs} ms`)
  t.equal(s.pools[0].name, 'local')
  t.ok(s.pools[0].usage.totalBytes > 0, 'the pool reports its space')
  t.same(s.backlog, { blobs: 0, bytes: 0 })

  const human = await meridian('status', '--meta', meta, '--name', name)
  t.equal(human.code, 0, human.err)
  t.match(human.out, /^group +engine +member +endpoint +role +revision +lag$/m, 'a table of members')
  t.match(human.out, /^root +etcd .* leader +\d+ +\d+$/m)
  t.equal(human.out.match(/ follower /g)?.length, 2, 'and two followers')
  t.match(human.out, new RegExp(`^root +${hostname()} +${process.pid} +/mnt/status-test +\\d+s +[0-9a-f-]{36}$`, 'm'), 'the session row')
  t.match(human.out, /^replication backlog: 0 blobs, 0 B$/m)
})

t.test('info PATH: inode, group, size, chunks and where each blob is', async t => {
  const meta = `sqlite://${join(home, 'info.db')}`
  await json(t, 'format', '--meta', meta, '--pool', `local=local:${join(home, 'pool-info')}`, '--block-size', '64K')
  await json(t, 'group', 'add', 'eu', '--meta', meta, '--meta-url', `sqlite://${join(home, 'eu.db')}`)
  await json(t, 'partition', 'add', '/eu', '--group', 'eu', '--meta', meta)
  const store = await openStore(meta)
  const fs = await openFilesystem(store)
  const data = Buffer.alloc(150_000, 7)
  try {
    const eu = await fs.resolve('/eu')
    const f = await fs.create(eu.ino, 'report', 0o100640, 0o2, { uid: 0, gid: 0, umask: 0 })
    await fs.write(f.fh, 0, data)
    await fs.release(f.fh)
  } finally {
    await fs.close()
    await store.close()
  }
  const r = await json(t, 'info', '/eu/report', '--meta', meta)
  t.equal(r.group, 'eu', 'the inode lives in the group of its partition')
  t.ok(r.ino >= 2 ** 40, `its number routes to that group: ${r.ino}`)
  t.equal(r.type, 'regular file')
  t.equal(r.mode, '0640')
  t.equal(r.size, data.length)
  t.equal(r.chunks.length, 1)
  const covered = r.chunks[0].extents.reduce((n: number, e: { len: number }) => n + e.len, 0)
  t.equal(covered, data.length, 'the extents cover the file')
  t.ok(r.blobs.length >= 1)
  for (const b of r.blobs) t.same(b.copies, ['local'], `${b.blob.slice(0, 15)} is on pool local`)
  const human = await meridian('info', '/eu/report', '--meta', meta)
  t.match(human.out, /^\/eu\/report: regular file, inode \d+ in group eu$/m)
  t.match(human.out, /^ {4}bytes 0\+\d+ +sha256-\S+@0 +on local$/m)
  const dir = await json(t, 'info', '/', '--meta', meta)
  t.same([dir.type, dir.ino, dir.group, dir.chunks], ['directory', 1, 'root', []])
  const none = await meridian('info', '/eu/none', '--meta', meta)
  t.equal(none.err, 'meridian: path: /eu/none: no such file or directory\n')
})

t.test('beside the process that owns an embedded store, the read-only commands read it; writers are refused', async t => {
  const meta = `sqlite://${join(home, 'held.db')}`
  await json(t, 'format', '--meta', meta, '--pool', `local=local:${join(home, 'pool-held')}`)
  await json(t, 'group', 'add', 'eu', '--meta', meta, '--meta-url', `sqlite://${join(home, 'held-eu.db')}`)
  await json(t, 'partition', 'add', '/eu', '--group', 'eu', '--meta', meta)
  // this process plays the mount: it owns both stores and holds a session in them
  const store = await openStore(meta)
  const fs = await openFilesystem(store, { mountpoint: '/mnt/held' })
  t.teardown(async () => { await fs.close(); await store.close() })
  const eu = await fs.resolve('/eu')
  const f = await fs.create(eu.ino, 'held', 0o100644, 0o2, { uid: 0, gid: 0, umask: 0 })
  await fs.write(f.fh, 0, Buffer.from('held'))
  await fs.release(f.fh)

  const s = await json(t, 'status', '--meta', meta)
  t.same(s.groups.map((g: { name: string; reachable: boolean }) => [g.name, g.reachable]), [['root', true], ['eu', true]], 'status reads both groups beside their owner')
  t.ok(s.sessions.some((x: { mountpoint?: string; pid: number }) => x.mountpoint === '/mnt/held' && x.pid === process.pid), 'and lists the owner\'s session')
  t.equal((await json(t, 'info', '/eu/held', '--meta', meta)).size, 4, 'info reads the file\'s inode in its group')
  t.equal((await json(t, 'group', 'ls', '--meta', meta)).groups.length, 2, 'group ls')
  t.ok(Array.isArray((await json(t, 'policy', 'ls', '--meta', meta)).policies), 'policy ls')
  t.equal((await json(t, 'pool', 'ls', '--meta', meta)).pools.length, 1, 'pool ls')
  await json(t, 'snapshot', 'ls', '--meta', meta)
  await json(t, 'partition', 'ls', '--meta', meta)
  const fsck = await meridian('fsck', '--meta', meta)
  t.equal(fsck.code, 0, `fsck reads beside the owner: ${fsck.out}${fsck.err}`)

  const set = await meridian('policy', 'set', '/eu', '--replicas', '1', '--meta', meta)
  t.not(set.code, 0, 'a command that writes is refused while another process owns the store')
  t.match(set.err, /^meridian: .*in use by another process\n$/, `in one line: ${set.err.trim()}`)
  t.equal((await fs.getattr(eu.ino)).ino, eu.ino, 'and the owner goes on')
})
