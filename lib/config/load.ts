// Reading the configuration file: `--config FILE`, else `config.yaml` in the Meridian home
// when there is one. The file is checked whole before anything runs (ajv, lib/config/schema);
// the first problem is one ConfigError naming the file, the field and what is allowed.
import Ajv from 'ajv'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError } from '../errors'
import { meridianHome, parseSize } from '../cli/format'
import { DEEP_CHECKS, FILE_SCHEMA } from './schema'
import { parseYaml, refuse } from './schema-errors'
import { TUNABLES, type Tuning, type TunableName } from './tunables'

export interface Config {
  /** the file read, when there was one */
  file?: string
  /** flag values by section ('' for the top level: meta, name), keyed by flag name */
  sections: Record<string, Record<string, unknown>>
  /** the tunables the file sets (the others keep their DEFAULTS) */
  tuning: Partial<Tuning>
}

const ajv = new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true })
const checkFile = ajv.compile(FILE_SCHEMA)

/** defaultConfigFile is where the configuration lives when --config is not given */
export function defaultConfigFile(): string {
  return join(meridianHome(), 'config.yaml')
}

/** loadConfig reads and checks the file; given no file, the default one if it exists, else nothing */
export function loadConfig(given?: string): Config {
  const file = resolve(given ?? defaultConfigFile())
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (given === undefined && code === 'ENOENT') return { sections: {}, tuning: {} }
    throw new ConfigError('config', `cannot read ${file}: ${code ?? (err as Error).message}`)
  }
  return parseConfig(text, file)
}

/** parseConfig checks the text of a configuration file named file */
export function parseConfig(text: string, file: string): Config {
  const value = parseYaml(text, file) ?? {}
  if (!checkFile(value)) refuse(checkFile.errors?.[0], '', file)
  const raw = value as Record<string, unknown>
  const sections: Config['sections'] = { '': {} }
  for (const [key, v] of Object.entries(raw)) {
    if (key === 'tuning') continue
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) sections[key] = { ...(v as Record<string, unknown>) }
    else sections[''][key] = v
  }
  for (const [path, check] of Object.entries(DEEP_CHECKS)) {
    const [name, key] = path.split('.')
    const v = sections[name]?.[key]
    if (v !== undefined) deep(file, path, () => check(v as never))
  }
  return { file, sections, tuning: tuningOf(file, (raw.tuning ?? {}) as Record<string, number | string>) }
}

/** deep runs a flag's parser on a value from the file; its error is named by file and field */
function deep(file: string, field: string, check: () => unknown): void {
  try {
    check()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    throw new ConfigError(`${file}: ${field}`, err.message.slice(err.field.length + 2))
  }
}

/** tuningOf turns sizes written as text into bytes and checks them against their bounds */
function tuningOf(file: string, raw: Record<string, number | string>): Partial<Tuning> {
  const out: Partial<Tuning> = {}
  for (const [key, v] of Object.entries(raw)) {
    const name = key as TunableName
    const t = TUNABLES[name]
    let n = 0
    deep(file, `tuning.${key}`, () => (n = typeof v === 'number' ? v : parseSize(key, v)))
    if (n < t.min || n > t.max) throw new ConfigError(`${file}: tuning.${key}`, `${String(v)} is out of range: ${t.min} to ${t.max} ${t.unit}`)
    out[name] = n
  }
  return out
}
