// The placement function: (blob id, policy, pool map) -> the ordered target pools. Pools the
// policy allows and that take copies (active, weight > 0) are ranked by straw2; the first
// `replicas` of them are taken, skipping a pool whose site already has a copy when the
// policy spreads by site. The first `sync` targets are written before the metadata commit.
import type { Policy } from './policy'
import type { PoolSpec } from './pool-map'
import { ranked } from './straw2'

/** eligible are the pools that may take a copy under policy */
export function eligible(policy: Policy, pools: PoolSpec[]): PoolSpec[] {
  return pools.filter(p =>
    p.state === 'active' && p.weight > 0 &&
    (!policy.sites || policy.sites.includes(p.site)) &&
    (!policy.pools || policy.pools.includes(p.name)))
}

/**
 * unsatisfiable says why policy cannot place its replicas on pools, or undefined when it can.
 * Checked before any policy or pool map is stored, so targets() always finds enough pools.
 */
export function unsatisfiable(policy: Policy, pools: PoolSpec[]): string | undefined {
  const known = new Set(pools.map(p => p.name))
  const sites = new Set(pools.map(p => p.site))
  const unknownPool = policy.pools?.find(p => !known.has(p))
  if (unknownPool !== undefined) return `pools: unknown pool '${unknownPool}' (known: ${[...known].join(', ')})`
  const unknownSite = policy.sites?.find(s => !sites.has(s))
  if (unknownSite !== undefined) return `sites: no pool is in site '${unknownSite}' (sites: ${[...sites].join(', ')})`
  if (policy.sync > policy.replicas) return `sync: ${policy.sync} copies cannot be durable when only ${policy.replicas} are made`
  const usable = eligible(policy, pools)
  const distinct = policy.spread === 'site' ? new Set(usable.map(p => p.site)).size : usable.length
  if (distinct < policy.replicas) {
    const what = policy.spread === 'site' ? 'sites' : 'pools'
    const names = policy.spread === 'site' ? [...new Set(usable.map(p => p.site))] : usable.map(p => p.name)
    return `replicas: ${policy.replicas} copies spread by ${policy.spread} need ${policy.replicas} ${what}, but only ${distinct} ${what} take copies under this policy (${names.join(', ') || 'none'})`
  }
  return undefined
}

/** targets is where blob id belongs under policy: the ordered list of pool names, at most `replicas` long */
export function targets(id: string, policy: Policy, pools: PoolSpec[]): string[] {
  const chosen: string[] = []
  const sites = new Set<string>()
  for (const pool of ranked(id, eligible(policy, pools))) {
    if (policy.spread === 'site' && sites.has(pool.site)) continue
    chosen.push(pool.name)
    sites.add(pool.site)
    if (chosen.length === policy.replicas) break
  }
  return chosen
}
