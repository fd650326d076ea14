// What every YAML file Meridian reads shares: parsing it (a syntax error names the file and
// the line) and turning the first schema violation ajv reports into a ConfigError that names
// the field as a dotted path and says what is allowed.
import type { ErrorObject } from 'ajv'
import { parseDocument } from 'yaml'
import { ConfigError } from '../errors'

/** fieldOf names the field an ajv error is about, as a dotted path: policies./eu.replicas */
function fieldOf(err: ErrorObject, base: string): string {
  const parts = err.instancePath.split('/').slice(1).map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  const extra = err.keyword === 'additionalProperties' ? [String(err.params.additionalProperty)]
    : err.keyword === 'required' ? [String(err.params.missingProperty)] : []
  return [base, ...parts, ...extra].filter(Boolean).join('.') || base
}

/** allowed says what an ajv error allows, in words */
function allowed(err: ErrorObject): string {
  const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {})
  switch (err.keyword) {
    case 'additionalProperties': return `is not a known field (known: ${known.join(', ')})`
    case 'required': return 'is required'
    case 'enum': return `must be one of ${(err.params.allowedValues as string[]).join(', ')}`
    case 'pattern': return `'${String(err.data)}' ${err.message ?? 'is not valid'}`
    default: return err.message ?? 'is not valid'
  }
}

/**
 * refuse throws the ConfigError of an ajv error (compiled with verbose: true, so that errors
 * carry their schema and data); file, when given, leads the field: "/etc/m.yaml: mount.reads"
 */
export function refuse(err: ErrorObject | undefined, base: string, file?: string): never {
  const field = err ? fieldOf(err, base) : base
  throw new ConfigError(file === undefined ? field : `${file}: ${field || '(top level)'}`, err ? allowed(err) : 'is not valid')
}

/** parseYaml reads YAML text; a syntax error names the file and its line and column */
export function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const line = e.linePos?.[0]
    throw new ConfigError(file, `not valid YAML${line ? ` at line ${line.line}, column ${line.col}` : ''}: ${e.message.split('\n')[0]}`)
  }
  return doc.toJS()
}
