// The configuration file (docs/operations.md): what each command's flags set, by the flag's
// name, and the tunables. Top-level `meta` and `name` apply to every command that has those
// flags; a section named after a command (`mount`, `format`, `pool-scan`, ...) to that command.
//
//   meta: etcd://10.0.0.1:2379,10.0.0.2:2379
//   name: data
//   mount: { reads: causal, allow-other: true, options: noatime }
//   tuning: { session-ttl: 30, read-cache-size: 1G }
//
// Values the flags parse further (sizes, mount options, pools, durations) are checked here by
// the same parsers, so that every error names the file and the field.
import { readModes } from '../causal'
import { BINDINGS } from '../fuse/served'
import { parseDuration } from '../cli/gc'
import { parsePool, parseSize } from '../cli/format'
import { parseMountOptions } from '../cli/mount-options'
import { TUNABLES, type Tunable } from './tunables'

const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
const string = { type: 'string', minLength: 1 }
const boolean = { type: 'boolean' }
/** a size: bytes, or text such as 4M (checked by parseSize) */
const size = { type: ['integer', 'string'], minimum: 0 }
const seconds = (min: number, max: number) => ({ type: 'number', minimum: min, maximum: max })
const strings = (pattern?: string) => ({ type: 'array', items: pattern ? { type: 'string', pattern } : string })

function section(properties: Record<string, object>): object {
  return { type: 'object', properties, additionalProperties: false }
}

/** the command sections: the flags of each command that a file may set, by flag name */
export const SECTIONS: Record<string, Record<string, object>> = {
  mount: {
    reads: { enum: [...readModes] },
    'attr-timeout': seconds(0, 3600),
    'allow-other': boolean,
    nearest: strings('^[A-Za-z0-9][A-Za-z0-9._-]*=[\\w.-]+:\\d+$'),
    binding: { enum: [...BINDINGS] },
    options: string,
    debug: boolean,
  },
  format: { 'block-size': size, pool: strings() },
  fsck: { verify: boolean },
  gc: { grace: string },
  replicate: { bandwidth: size, interval: { type: 'number', exclusiveMinimum: 0 } },
  'pool-scan': { 'error-rate': { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } },
}

function tunableSchema(t: Tunable): object {
  return t.unit === 'bytes' ? size : { type: t.unit === 'count' ? 'integer' : 'number', minimum: t.min, maximum: t.max }
}

export const FILE_SCHEMA = {
  type: 'object',
  properties: {
    meta: string,
    name: { type: 'string', pattern: NAME },
    tuning: section(Object.fromEntries(Object.entries(TUNABLES).map(([k, t]) => [k, tunableSchema(t)]))),
    ...Object.fromEntries(Object.entries(SECTIONS).map(([k, props]) => [k, section(props)])),
  },
  additionalProperties: false,
}

/**
 * DEEP_CHECKS: values the schema lets through that a flag's own parser checks further; each
 * throws a ConfigError, which the loader names by file and field
 */
export const DEEP_CHECKS: Record<string, (value: never) => unknown> = {
  'mount.options': (v: string) => parseMountOptions(v),
  'format.block-size': (v: string | number) => parseSize('block-size', String(v)),
  'format.pool': (v: string[]) => v.map(parsePool),
  'gc.grace': (v: string) => parseDuration('grace', v),
  'replicate.bandwidth': (v: string | number) => parseSize('bandwidth', String(v)),
}
