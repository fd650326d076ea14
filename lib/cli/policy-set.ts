// meridian policy set: the placement policy of a path prefix. Refused with the reason when
// the pools cannot satisfy it; nothing changes then.
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { normalizePath, type PolicyRule } from '../placement/policy'
import { parsePolicy } from '../placement/policy-schema'
import { withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export interface PolicySetOptions extends PlacementCliOptions {
  replicas: string
  sync?: string
  spread?: string
  /** comma-separated */
  sites?: string
  pools?: string
}

function count(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new ConfigError(field, `'${text}' must be a whole number`)
  return Number(text)
}

const list = (text: string | undefined) => text?.split(',').map(s => s.trim())

export async function policySet(path: string, opts: PolicySetOptions): Promise<PolicyRule & { epoch: number }> {
  const rule: PolicyRule = {
    path: normalizePath(path),
    policy: parsePolicy({
      replicas: count('replicas', opts.replicas), sync: count('sync', opts.sync), spread: opts.spread,
      sites: list(opts.sites), pools: list(opts.pools),
    }),
  }
  return withPlacement(opts, async placement => {
    const next = await placement.update(c => ({ ...c, rules: [...c.rules.filter(r => r.path !== rule.path), rule] }))
    return { ...rule, epoch: next.epoch }
  })
}

/** describe is a policy for people: "2 replicas (1 durable at close), one per site, sites eu,us" */
export function describe(rule: PolicyRule): string {
  const p = rule.policy
  return `${rule.path}: ${p.replicas} replica(s), ${p.sync} durable at close, one per ${p.spread}` +
    (p.sites ? `, sites ${p.sites.join(',')}` : '') + (p.pools ? `, pools ${p.pools.join(',')}` : '')
}

export function policySetCommand(): Command {
  return withCommonOptions(new Command('set'))
    .description('set the placement policy of a path prefix (the longest prefix of a path wins)')
    .argument('<path>', 'path prefix in the filesystem, e.g. / or /eu/projects')
    .requiredOption('--replicas <n>', 'copies of every blob')
    .option('--sync <n>', 'copies durable before close/fsync returns (default: all)')
    .option('--spread <rule>', 'site: every copy in a different site; pool: in a different pool (default)')
    .option('--sites <a,b>', 'only pools in these sites')
    .option('--pools <p,q>', 'only these pools')
    .action(async (path: string, opts: PolicySetOptions) => {
      const r = await policySet(path, opts)
      print(opts.json, { ...r }, `policy ${describe(r)} (epoch ${r.epoch})`)
    })
}
