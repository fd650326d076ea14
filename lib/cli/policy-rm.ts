// meridian policy rm: drop the policy of a path prefix; the next shorter prefix then applies.
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { normalizePath } from '../placement/policy'
import { withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export async function policyRm(path: string, opts: PlacementCliOptions): Promise<{ removed: string; epoch: number }> {
  const at = normalizePath(path)
  if (at === '/') throw new ConfigError('path', "the root '/' always has a policy: change it with policy set /")
  return withPlacement(opts, async placement => {
    const next = await placement.update(c => {
      if (!c.rules.some(r => r.path === at)) throw new ConfigError('path', `no policy is set at ${at} (see policy ls)`)
      return { ...c, rules: c.rules.filter(r => r.path !== at) }
    })
    return { removed: at, epoch: next.epoch }
  })
}

export function policyRmCommand(): Command {
  return withCommonOptions(new Command('rm'))
    .description('remove the policy of a path prefix (the next shorter prefix applies)')
    .argument('<path>', 'path prefix')
    .action(async (path: string, opts: PlacementCliOptions) => {
      const r = await policyRm(path, opts)
      print(opts.json, r, `removed the policy at ${r.removed} (epoch ${r.epoch})`)
    })
}
