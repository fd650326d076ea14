// The schema of policies as users write them (`policy apply -f FILE.yaml`, `policy set`), and
// the one place that turns schema violations into a ConfigError naming the field. A file is
//
//   policies:
//     /:   { replicas: 2, spread: site }
//     /eu: { replicas: 2, sites: [eu], sync: 1, spread: pool }
//
// sync defaults to replicas (every copy durable before close returns), spread to 'pool'.
import Ajv, { type ErrorObject, type JSONSchemaType } from 'ajv'
import { parseDocument, stringify } from 'yaml'
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

/** fieldOf names the field an ajv error is about, as a dotted path: policies./eu.replicas */
function fieldOf(err: ErrorObject, base: string): string {
  const parts = err.instancePath.split('/').slice(1).map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  const extra = err.keyword === 'additionalProperties' ? [String(err.params.additionalProperty)]
    : err.keyword === 'required' ? [String(err.params.missingProperty)] : []
  return [base, ...parts, ...extra].filter(Boolean).join('.') || base
}

function refuse(err: ErrorObject | undefined, base: string): never {
  if (!err) throw new ConfigError(base, 'is not valid')
  const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {})
  const what = err.keyword === 'additionalProperties' ? `is not a known field (known: ${known.join(', ')})`
    : err.keyword === 'required' ? 'is required'
    : err.keyword === 'enum' ? `must be one of ${(err.params.allowedValues as string[]).join(', ')}`
    : err.message ?? 'is not valid'
  throw new ConfigError(fieldOf(err, base), what)
}

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
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const line = e.linePos?.[0]
    throw new ConfigError(file, `not valid YAML${line ? ` at line ${line.line}, column ${line.col}` : ''}: ${e.message.split('\n')[0]}`)
  }
  const value: unknown = doc.toJS()
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
