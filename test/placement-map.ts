import t from 'tap'
import { createHash } from 'node:crypto'
import { targets, unsatisfiable } from '../lib/placement/placement'
import type { Policy } from '../lib/placement/policy'
import type { PoolSpec } from '../lib/placement/pool-map'

const N = 100_000
const ids = Array.from({ length: N }, (_, i) => 'sha256-' + createHash('sha256').update(String(i)).digest('hex'))

const pool = (name: string, site: string, weight = 1): PoolSpec =>
  ({ name, site, weight, state: 'active', config: { driver: 'local', path: `/srv/${name}` } })

const one: Policy = { replicas: 1, sync: 1, spread: 'pool' }
const two: Policy = { replicas: 2, sync: 1, spread: 'pool' }

/** copies is every (id, pool) pair that pools hold under policy */
function copies(policy: Policy, pools: PoolSpec[]): Map<string, string[]> {
  return new Map(ids.map(id => [id, targets(id, policy, pools)]))
}

/** moved counts the copies in after that before did not have */
function moved(before: Map<string, string[]>, after: Map<string, string[]>): number {
  let n = 0
  for (const [id, now] of after) n += now.filter(p => !before.get(id)!.includes(p)).length
  return n
}

t.test('placement is deterministic and ordered', async t => {
  const pools = [pool('a', 'eu'), pool('b', 'eu'), pool('c', 'us')]
  const id = ids[0]
  t.same(targets(id, two, pools), targets(id, two, [...pools].reverse()), 'the order of the pool map does not matter')
  t.equal(targets(id, two, pools).length, 2)
  t.equal(new Set(targets(id, two, pools)).size, 2, 'distinct pools')
  t.same(targets(id, one, pools), targets(id, two, pools).slice(0, 1), 'the first choice is the same whatever the replica count')
})

t.test('weights set the share of blobs', async t => {
  const pools = [pool('a', 's', 1), pool('b', 's', 3)]
  const placed = copies(one, pools)
  const onB = [...placed.values()].filter(p => p[0] === 'b').length / N
  t.ok(Math.abs(onB - 0.75) < 0.01, `pool of weight 3 of 4 holds ${onB.toFixed(4)} (ideal 0.75)`)
})

t.test('adding a pool moves its fair share, within 10% of the ideal', async t => {
  for (const [policy, what] of [[one, '1 replica'], [two, '2 replicas']] as const) {
    const before = [pool('a', 's'), pool('b', 's'), pool('c', 's'), pool('d', 's', 2)]
    const added = pool('e', 's', 1.5)
    const after = [...before, added]
    const ideal = added.weight / after.reduce((sum, p) => sum + p.weight, 0)
    const b = copies(policy, before)
    const a = copies(policy, after)
    const fraction = moved(b, a) / (N * policy.replicas)
    t.ok(Math.abs(fraction - ideal) <= 0.1 * ideal, `${what}: moved ${fraction.toFixed(4)} of the copies, ideal ${ideal.toFixed(4)}`)
    const toOthers = [...a].filter(([id, now]) => now.some(p => p !== 'e' && !b.get(id)!.includes(p))).length
    if (policy.replicas === 1) t.equal(toOthers, 0, 'every moved copy moved to the new pool')
  }
})

t.test('removing a pool moves only the blobs it held', async t => {
  const before = [pool('a', 's'), pool('b', 's'), pool('c', 's'), pool('d', 's'), pool('e', 's')]
  const after = before.filter(p => p.name !== 'c')
  for (const policy of [one, two]) {
    const b = copies(policy, before)
    const a = copies(policy, after)
    let untouchedChanged = 0
    let held = 0
    for (const [id, was] of b) {
      const now = a.get(id)!
      if (was.includes('c')) held++
      else if (was.join() !== now.join()) untouchedChanged++
    }
    t.equal(untouchedChanged, 0, `${policy.replicas} replicas: no blob that c did not hold changed targets (${held} did)`)
    t.equal(moved(b, a), held, 'each blob c held gained exactly one copy elsewhere')
  }
})

t.test('spread by site puts each copy in a different site', async t => {
  const pools = [pool('eu1', 'eu'), pool('eu2', 'eu'), pool('eu3', 'eu'), pool('us1', 'us')]
  const policy: Policy = { replicas: 2, sync: 1, spread: 'site' }
  const sites = (id: string) => targets(id, policy, pools).map(n => pools.find(p => p.name === n)!.site).sort().join()
  t.ok(ids.slice(0, 2000).every(id => sites(id) === 'eu,us'), 'one copy in eu and one in us, for 2000 blobs')
})

t.test('allowed sites and pools restrict the targets', async t => {
  const pools = [pool('a', 'eu'), pool('b', 'eu'), pool('c', 'us'), { ...pool('d', 'eu'), state: 'draining' as const }]
  const inEu: Policy = { replicas: 2, sync: 1, spread: 'pool', sites: ['eu'] }
  t.ok(ids.slice(0, 1000).every(id => targets(id, inEu, pools).sort().join() === 'a,b'), 'only eu pools, never the draining one')
  const onlyC: Policy = { replicas: 1, sync: 1, spread: 'pool', pools: ['c'] }
  t.same(targets(ids[1], onlyC, pools), ['c'])
})

t.test('an unsatisfiable policy is refused with the reason', async t => {
  const pools = [pool('a', 'eu'), pool('b', 'eu'), pool('c', 'us')]
  const cases: Array<[Policy, RegExp]> = [
    [{ replicas: 3, sync: 1, spread: 'site' }, /^replicas: 3 copies spread by site need 3 sites, but only 2 sites .*\(eu, us\)/],
    [{ replicas: 4, sync: 1, spread: 'pool' }, /^replicas: .* only 3 pools/],
    [{ replicas: 2, sync: 1, spread: 'pool', sites: ['us'] }, /only 1 pools take copies under this policy \(c\)/],
    [{ replicas: 1, sync: 1, spread: 'pool', sites: ['asia'] }, /^sites: no pool is in site 'asia'/],
    [{ replicas: 1, sync: 1, spread: 'pool', pools: ['z'] }, /^pools: unknown pool 'z'/],
    [{ replicas: 1, sync: 2, spread: 'pool' }, /^sync: 2 copies cannot be durable when only 1 are made/],
  ]
  for (const [policy, reason] of cases) t.match(unsatisfiable(policy, pools), reason, JSON.stringify(policy))
  t.equal(unsatisfiable({ replicas: 2, sync: 2, spread: 'site' }, pools), undefined, 'a satisfiable one passes')
})
