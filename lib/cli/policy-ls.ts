// meridian policy ls: every policy, by path prefix.
import { Command } from 'commander'
import type { PolicyRule } from '../placement/policy'
import { withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { describe } from './policy-set'
import { print } from './run'
import { READ_ONLY } from './group'

export async function policyLs(opts: PlacementCliOptions): Promise<{ epoch: number; policies: PolicyRule[] }> {
  return withPlacement(opts, async placement => {
    const config = await placement.load()
    return { epoch: config.epoch, policies: [...config.rules].sort((a, b) => (a.path < b.path ? -1 : 1)) }
  }, READ_ONLY)
}

export function policyLsCommand(): Command {
  return withCommonOptions(new Command('ls'))
    .description('list the placement policies by path prefix')
    .action(async (opts: PlacementCliOptions) => {
      const r = await policyLs(opts)
      print(opts.json, r, [`policies at epoch ${r.epoch}`, ...r.policies.map(describe)].join('\n'))
    })
}
