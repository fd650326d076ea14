// The schema of policies as users write them (`policy apply -f FILE.yaml`, `policy set`), and
// the one place that turns schema violations into a ConfigError naming the field. A file is
//
//   policies:
//     /:   { replicas: 2, spread: site }
//     /eu: { replicas: 2, sites: [eu], sync: 1, spread: pool }
//
// sync defaults to replicas (every copy durable before close returns), spread to 'pool'.
import Ajv, { type JSONSchemaType } from 'ajv'
import { stringify } from 'yaml'
import { parseYaml, refuse } from '../config/schema-errors'
import { ConfigError } from '../errors'
import { normalizePath, type Policy, type PolicyRule, type Spread } from './policy'

/** a policy as written: sync and spread may be left out */
export interface PolicyInput {
  replicas: number
  sync?: number
  spread?: Spread
  sites?: string[]
  pools?: string[]
}

const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

const policySchema: JSONSchemaType<PolicyInput> = {
  type: 'object',
  properties: {
    replicas: { type: 'integer', minimum: 1, maximum: 16 },
    sync: { type: 'integer', minimum: 1, maximum: 16, nullable: true },
    spread: { type: 'string', enum: ['site', 'pool'], nullable: true },
    sites: { type: 'array', items: { type: 'string', pattern: NAME }, minItems: 1, uniqueItems: true, nullable: true },
    pools: { type: 'array', items: { type: 'string', pattern: NAME }, minItems: 1, uniqueItems: true, nullable: true },
  },
  required: ['replicas'],
  additionalProperties: false,
}

interface PolicyFile {
  policies: Record<string, PolicyInput>
}

const fileSchema: JSONSchemaType<PolicyFile> = {
  type: 'object',
  properties: {
    policies: { type: 'object', required: [], additionalProperties: policySchema, minProperties: 1 },
  },
  required: ['policies'],
  additionalProperties: false,
}

const ajv = new Ajv({ allErrors: false, verbose: true }) // verbose: errors carry their schema, to list known fields
const checkPolicy = ajv.compile(policySchema)
const checkFile = ajv.compile(fileSchema)

/** toPolicy fills in the defaults of a checked input */
function toPolicy(input: PolicyInput): Policy {
  const policy: Policy = { replicas: input.replicas, sync: input.sync ?? input.replicas, spread: input.spread ?? 'pool' }
  if (input.sites) policy.sites = [...input.sites]
  if (input.pools) policy.pools = [...input.pools]
  return policy
}

/** parsePolicy checks one policy (from `policy set`); field errors name the option */
export function parsePolicy(input: unknown): Policy {
  if (!checkPolicy(input)) refuse(checkPolicy.errors?.[0], '')
  return toPolicy(input)
}

/** parsePolicyYaml reads a policies file; every error names the field (or the line, for bad YAML) */
export function parsePolicyYaml(text: string, file = 'file'): PolicyRule[] {
  const value = parseYaml(text, file)
  if (!checkFile(value)) refuse(checkFile.errors?.[0], '')
  const rules: PolicyRule[] = []
  for (const [path, input] of Object.entries(value.policies)) {
    const normal = normalizePath(path, `policies.${path}`)
    if (rules.some(r => r.path === normal)) throw new ConfigError(`policies.${path}`, `names the same path as another entry (${normal})`)
    rules.push({ path: normal, policy: toPolicy(input) })
  }
  return rules
}

/** policyYaml writes rules as a file parsePolicyYaml reads back to the same rules */
export function policyYaml(rules: PolicyRule[]): string {
  const policies: Record<string, Policy> = {}
  for (const rule of [...rules].sort((a, b) => (a.path < b.path ? -1 : 1))) policies[rule.path] = rule.policy
  return stringify({ policies })
}
