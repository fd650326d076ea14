// meridian policy export: the policies as the YAML file policy apply reads (JSON with --json).
import { Command } from 'commander'
import { policyYaml } from '../placement/policy-schema'
import { policyLs } from './policy-ls'
import type { PlacementCliOptions } from './placement-session'
import { withCommonOptions } from './placement-session'

export function policyExportCommand(): Command {
  return withCommonOptions(new Command('export'))
    .description('print the policies as YAML that policy apply -f reads back')
    .action(async (opts: PlacementCliOptions) => {
      const r = await policyLs(opts)
      process.stdout.write(opts.json ? JSON.stringify(r) + '\n' : policyYaml(r.policies))
    })
}
