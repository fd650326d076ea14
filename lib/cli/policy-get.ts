// meridian policy get: the policy in force at a path and the prefix it comes from.
import { Command } from 'commander'
import { normalizePath, ruleFor, type Policy } from '../placement/policy'
import { withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { describe } from './policy-set'
import { print } from './run'
import { READ_ONLY } from './group'

export async function policyGet(path: string, opts: PlacementCliOptions): Promise<{ path: string; from: string; policy: Policy; epoch: number }> {
  const at = normalizePath(path)
  return withPlacement(opts, async placement => {
    const config = await placement.load()
    const rule = ruleFor(at, config.rules)!
    return { path: at, from: rule.path, policy: rule.policy, epoch: config.epoch }
  }, READ_ONLY)
}

export function policyGetCommand(): Command {
  return withCommonOptions(new Command('get'))
    .description('show the policy in force at a path and the prefix it comes from')
    .argument('<path>', 'path in the filesystem')
    .action(async (path: string, opts: PlacementCliOptions) => {
      const r = await policyGet(path, opts)
      print(opts.json, r, `${r.path}: from ${describe({ path: r.from, policy: r.policy })}`)
    })
}
