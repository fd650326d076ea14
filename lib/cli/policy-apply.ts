// meridian policy apply -f FILE: make the policies exactly those of a YAML file (the format of
// lib/placement/policy-schema.ts, as `policy export` writes it). A file without '/' keeps the
// root policy in force. All or nothing: one bad entry and nothing changes.
import { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors'
import type { PolicyRule } from '../placement/policy'
import { parsePolicyYaml } from '../placement/policy-schema'
import { withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export interface PolicyApplyOptions extends PlacementCliOptions {
  file: string
}

export async function policyApply(opts: PolicyApplyOptions): Promise<{ epoch: number; policies: PolicyRule[] }> {
  const text = await readFile(opts.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError('file', `cannot read ${opts.file} (${err.code ?? String(err)})`)
  })
  const rules = parsePolicyYaml(text, 'file')
  return withPlacement(opts, async placement => {
    const next = await placement.update(c => {
      const root = rules.some(r => r.path === '/') ? [] : c.rules.filter(r => r.path === '/')
      return { ...c, rules: [...root, ...rules] }
    })
    return { epoch: next.epoch, policies: next.rules }
  })
}

export function policyApplyCommand(): Command {
  return withCommonOptions(new Command('apply'))
    .description('replace the policies with those of a YAML file (as policy export writes it); all or nothing')
    .requiredOption('-f, --file <file.yaml>', 'the policies file')
    .action(async (opts: PolicyApplyOptions) => {
      const r = await policyApply(opts)
      print(opts.json, r, `applied ${r.policies.length} policies (epoch ${r.epoch})`)
    })
}
