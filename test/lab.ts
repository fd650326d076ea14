// A 3-site lab (lib/lab) with a small round trip between sites: real etcd members, one link
// proxy process, three FUSE mounts, each a child process. What one site writes another reads
// (causal reads), a rename between two sites' partitions, a site cut off (the others go on with
// their partitions and the shared one, the cut site with its own), healed, and torn down with
// no process or mount of the lab left. Not timed: the machine is shared.
import t from 'tap'
import { readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { eventually, startLab } from '../fixtures/lab'
import { mountDir } from '../lib/lab/layout'
import { isOurs, readState } from '../lib/lab/process-table'
import { ProxyControl } from '../lib/lab/proxy-control'
import { proxySocket } from '../lib/lab/layout'
import { survey } from '../lib/lab/survey'
import { teardown } from '../lib/lab/teardown'

t.setTimeout(240_000)

t.test('a 3-site lab: local and shared partitions, causal reads, a rename across sites, a cut and a heal', async t => {
  const lab = await startLab(t, { sites: ['eu', 'us', 'asia'], rttMs: 20, jitterMs: 4 })
  const at = (site: string, ...path: string[]) => join(mountDir(lab.dir, site), ...path)

  await t.test('every site sees the three partitions and the counted links', async t => {
    for (const site of ['eu', 'us', 'asia']) t.same((await readdir(at(site))).sort(), ['asia', 'eu', 'us'])
    const s = await survey(lab.dir)
    t.ok(s.ready)
    t.equal(s.members.filter(m => m.alive).length, 6, 'two members per site, alive')
    t.equal(s.groups.filter(g => g.leader).length, 4, 'the root group and each site group have a leader')
    t.equal(s.mounts.filter(m => m.mounted).length, 3)
    t.ok(s.links.some(l => l.link === 'eu-us' && l.roundTrips > 0), 'raft traffic crosses the eu-us link')
  })

  await t.test('what eu writes, us reads; what us writes in the shared partition, asia reads', async t => {
    // another site's mount reads from its own member: a fresh write shows once that member applied it
    const seen = (file: string, text: string) => eventually(async () => {
      const got = await readFile(file, 'utf8')
      if (got !== text) throw new Error(`${file}: '${got}', not yet '${text}'`)
      return got
    })
    await writeFile(at('eu', 'eu', 'hello.txt'), 'from eu')
    t.equal(await seen(at('us', 'eu', 'hello.txt'), 'from eu'), 'from eu')
    await writeFile(at('us', 'shared.txt'), 'from us')
    t.equal(await seen(at('asia', 'shared.txt'), 'from us'), 'from us')
  })

  await t.test('causal: a reader that sees an effect finds its cause, both ways between a site and the shared partition', async t => {
    // a mount's reads carry no clock of another mount: what it sees of a fresh write is what its
    // nearest member has applied, so the effect is awaited; its cause must then be there
    const settled = (file: string, text: string) => eventually(async () => {
      const got = await readFile(file, 'utf8')
      if (got !== text) throw new Error(`${file}: '${got}', not yet '${text}'`)
      return got
    })
    for (let n = 0; n < 4; n++) {
      await writeFile(at('eu', 'eu', `cat-${n}`), `cat ${n}`)
      await writeFile(at('eu', `pets-${n}`), `see /eu/cat-${n}`)
      await settled(at('asia', `pets-${n}`), `see /eu/cat-${n}`)
      t.equal(await readFile(at('asia', 'eu', `cat-${n}`), 'utf8'), `cat ${n}`, `round ${n}: /eu/cat-${n} behind /pets-${n}`)
      // the cause in the shared partition, read from asia's own member of the global group
      await writeFile(at('us', `dog-${n}`), `dog ${n}`)
      await writeFile(at('us', 'us', `kennel-${n}`), `see /dog-${n}`)
      await settled(at('asia', 'us', `kennel-${n}`), `see /dog-${n}`)
      t.equal(await readFile(at('asia', `dog-${n}`), 'utf8'), `dog ${n}`, `round ${n}: /dog-${n} behind /us/kennel-${n}`)
    }
  })

  await t.test('a rename from eu\'s partition to asia\'s, made in us, is seen by every site', async t => {
    await rename(at('us', 'eu', 'hello.txt'), at('us', 'asia', 'hello.txt'))
    for (const site of ['eu', 'us', 'asia']) {
      t.same(await readdir(at(site, 'eu')).then(names => names.includes('hello.txt')), false, `${site}: gone from /eu`)
      t.equal(await readFile(at(site, 'asia', 'hello.txt'), 'utf8'), 'from eu', `${site}: in /asia`)
    }
  })

  await t.test('asia cut off: eu and us go on (their partitions and the shared one), asia with its own', async t => {
    const proxy = new ProxyControl(proxySocket(lab.dir))
    await proxy.cut('asia')
    // eu and us keep a quorum of the global group (electing a leader if asia's led)
    await eventually(() => writeFile(at('eu', 'during-cut.txt'), 'eu, during the cut'))
    await writeFile(at('eu', 'eu', 'local.txt'), 'eu local')
    await writeFile(at('us', 'us', 'local.txt'), 'us local')
    t.equal(await eventually(() => readFile(at('us', 'during-cut.txt'), 'utf8')), 'eu, during the cut')
    await writeFile(at('asia', 'asia', 'alone.txt'), 'asia alone')
    t.equal(await readFile(at('asia', 'asia', 'alone.txt'), 'utf8'), 'asia alone')
    const links = await proxy.links()
    t.ok(links.filter(l => l.link.includes('asia')).every(l => l.cut), 'every link of asia is cut')
    await proxy.heal()
    // asia sees what happened meanwhile, and the others see what asia wrote alone
    t.equal(await eventually(() => readFile(at('asia', 'during-cut.txt'), 'utf8')), 'eu, during the cut')
    t.equal(await eventually(() => readFile(at('eu', 'asia', 'alone.txt'), 'utf8')), 'asia alone')
  })

  await t.test('lab down leaves no process and no mount of the lab', async t => {
    const pids = readState(lab.dir)!.processes
    t.equal(pids.filter(p => p.kind === 'etcd').length, 6)
    const report = await teardown(lab.dir)
    t.equal(report.stopped.length, pids.length, 'every recorded process was stopped')
    for (const p of pids) t.notOk(isOurs(p.pid, lab.dir), `${p.name} (${p.pid}) is gone`)
    const mounts = readFileSync('/proc/mounts', 'utf8')
    t.notOk(mounts.includes(lab.dir), 'no mount of the lab is left')
  })
})
