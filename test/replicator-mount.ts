// mount --replicate: the replicator inside a background mount (a real FUSE mount served by
// another process) copies what the mount wrote with one synchronous copy to its second site
// (woken by the queue entries the writes made: its interval, 600 s, never comes),
// without any `meridian replicate`; and bad --site / --replicate-interval values are one line.
import t from 'tap'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isMounted } from '../lib/fuse/mounts'
import { cliHome } from '../fixtures/cli-home'

const { home, meridian, track } = cliHome(t)

/** blobsIn lists the blob files of a local pool directory (sharded two levels deep) */
function blobsIn(pool: string): string[] {
  try {
    return readdirSync(pool, { recursive: true, withFileTypes: true }).filter(e => e.isFile() && e.name.startsWith('sha256-')).map(e => e.name).sort()
  } catch {
    return []
  }
}

t.test('a mount with --replicate makes the second copies itself', async t => {
  const ok = (...args: string[]) => {
    const r = meridian(...args)
    t.equal(r.code, 0, `${args.join(' ')}: ${r.err}`)
    return r.out
  }
  ok('format', '--pool', `eu1=local:${home}/eu1`, '--block-size', '64K')
  ok('pool', 'add', 'us1', '--driver', 'local', '--site', 'us', '--path', `${home}/us1`)
  ok('policy', 'set', '/', '--replicas', '2', '--sync', '1', '--spread', 'site')
  const dir = join(home, 'mnt')
  mkdirSync(dir)

  for (const [flags, field] of [[['--site', 'mars'], /site: no pool is in site 'mars'/], [['--replicate', '--replicate-interval', 'soon'], /replicate-interval: 'soon' must be a number/]] as const) {
    const bad = meridian('mount', '--background', dir, ...flags)
    t.equal(bad.code, 2, `${flags.join(' ')} is refused`)
    t.match(bad.err, field)
    t.equal(bad.err.trim().split('\n').length, 1, 'in one line')
    t.notOk(isMounted(dir), 'nothing mounted')
  }

  const r = ok('mount', '--background', dir, '--site', 'default', '--replicate', '--replicate-interval', '600')
  track(Number(/\(pid (\d+)/.exec(r)?.[1]))
  if (!isMounted(dir)) return t.fail('not mounted: nothing to write through')
  const files = Array.from({ length: 6 }, (_, i) => randomBytes(100_000 + i * 1000))
  files.forEach((data, i) => writeFileSync(join(dir, `f${i}`), data))
  let eu: string[] = []
  let us: string[] = []
  for (const giveUp = Date.now() + 60_000; Date.now() < giveUp; await sleep(250)) {
    eu = blobsIn(join(home, 'eu1'))
    us = blobsIn(join(home, 'us1'))
    if (eu.length >= 12 && eu.join() === us.join()) break
  }
  t.ok(eu.length >= 12, `${eu.length} blobs`)
  t.same(us, eu, 'every blob has its copy in both sites, made by the mount\'s replicator')
  files.forEach((data, i) => t.ok(readFileSync(join(dir, `f${i}`)).equals(data), `f${i} reads back`))
  t.match(readFileSync(join(home, 'mount.log'), 'utf8'), /"msg":"replication pass"/, 'the passes are logged')
  t.equal(meridian('umount', dir).code, 0)
})
