// Cases a user adds from a file of their own (YAML or JSON), of the table's shape with data
// only: each step is [operation, ...arguments], naming a CaseDir method; a check is a few
// facts about what the operation left behind. Validated with ajv; every error names the file,
// the case and the field.
//
//   - name: a new directory has the mode asked for
//     setup: [[write, f, hello]]
//     op: [mkdir, d, 0o750]          # modes as numbers (YAML 0o750) or octal strings ('750')
//     expect: ok                      # or an errno: EEXIST, ENOENT, ...
//     check: { exists: [d], mode: { d: '750' }, text: { f: hello }, size: { f: 5 }, gone: [x] }
import { readFile } from 'node:fs/promises'
import Ajv, { type ErrorObject } from 'ajv'
import { parseDocument } from 'yaml'
import { ConfigError } from '../errors'
import type { Assert } from './assert'
import { CaseDir, type Errno, type OpName } from './case-dir'
import type { Check, PosixCase, Step } from './types'

/**
 * every operation a step may name: CaseDir's methods (its own properties are its arrow
 * functions), but withHandle, which takes a function
 */
export const OPERATIONS = Object.entries(new CaseDir('/'))
  .filter(([k, v]) => typeof v === 'function' && k !== 'withHandle').map(([k]) => k).sort() as OpName[]

interface UserCheck {
  exists?: string[]
  gone?: string[]
  text?: Record<string, string>
  size?: Record<string, number>
  mode?: Record<string, string | number>
}

interface UserCase {
  name: string
  setup?: unknown[][]
  op: unknown[]
  expect: string
  check?: UserCheck
}

const step = {
  type: 'array',
  minItems: 1,
  items: [{ type: 'string', enum: OPERATIONS }],
  additionalItems: { type: ['string', 'number', 'boolean'] },
}
const paths = { type: 'array', items: { type: 'string' } }
const schema = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['name', 'op', 'expect'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1 },
      setup: { type: 'array', items: step },
      op: step,
      expect: { type: 'string', pattern: '^(ok|E[A-Z0-9]+)$' },
      check: {
        type: 'object',
        additionalProperties: false,
        properties: {
          exists: paths,
          gone: paths,
          text: { type: 'object', additionalProperties: { type: 'string' } },
          size: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
          mode: { type: 'object', additionalProperties: { type: ['string', 'integer'], pattern: '^[0-7]{3,4}$' } },
        },
      },
    },
  },
}

// strictTuples off: a tuple with open additional items is the shape meant (an op, then any arguments)
const validate = new Ajv({ allErrors: false, strictTuples: false, allowUnionTypes: true }).compile<UserCase[]>(schema)

/** describe turns an ajv error into 'cases[2].op[0]: must be one of ...' */
function describe(err: ErrorObject, cases: unknown): { field: string; what: string } {
  const parts = err.instancePath.split('/').slice(1)
  const field = parts.reduce((f, p, i) => (i === 0 ? `cases[${p}]` : /^\d+$/.test(p) ? `${f}[${p}]` : `${f}.${p}`), 'cases')
  const named = parts.length > 0 ? (cases as Array<{ name?: unknown }>)[Number(parts[0])]?.name : undefined
  const where = typeof named === 'string' ? ` (case '${named}')` : ''
  const what = err.keyword === 'enum' ? `must be one of ${(err.params.allowedValues as string[]).join(', ')}`
    : err.keyword === 'additionalProperties' ? `has an unknown field '${String(err.params.additionalProperty)}'`
    : err.keyword === 'required' ? `needs the field '${String(err.params.missingProperty)}'`
    : err.message ?? 'is not valid'
  return { field, what: `${what}${where}` }
}

const octal = (mode: string | number) => (typeof mode === 'number' ? mode : parseInt(mode, 8))

/** checkOf turns the facts a user listed into a check */
function checkOf(c: UserCheck): Check {
  return async (t: Assert, d: CaseDir) => {
    for (const rel of c.exists ?? []) t.ok(await d.exists(rel), `${rel} exists`)
    for (const rel of c.gone ?? []) t.notOk(await d.exists(rel), `${rel} does not exist`)
    for (const [rel, want] of Object.entries(c.text ?? {})) t.equal(await d.text(rel), want, `${rel} holds ${JSON.stringify(want)}`)
    for (const [rel, want] of Object.entries(c.size ?? {})) t.equal((await d.stat(rel)).size, want, `${rel} size`)
    for (const [rel, want] of Object.entries(c.mode ?? {})) t.equal(((await d.lstat(rel)).mode & 0o7777).toString(8), octal(want).toString(8), `${rel} mode`)
  }
}

/** parseUserCases reads the text of a case file (YAML, which JSON also is) */
export function parseUserCases(text: string, file: string): PosixCase[] {
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const at = e.linePos?.[0]
    throw new ConfigError('cases', `${file}: not valid YAML or JSON${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${e.message.split('\n')[0]}`)
  }
  const value: unknown = doc.toJS()
  const list = Array.isArray(value) ? value : (value as { cases?: unknown } | null)?.cases
  if (!validate(list)) {
    const { field, what } = describe(validate.errors![0], list)
    throw new ConfigError('cases', `${file}: ${field} ${what}`)
  }
  return list.map(u => ({
    name: u.name,
    setup: u.setup as Step[] | undefined,
    op: u.op as Step,
    expect: u.expect as 'ok' | Errno,
    check: u.check ? checkOf(u.check) : undefined,
  }))
}

/** loadUserCases reads a case file: a list of cases, or { cases: [...] } */
export async function loadUserCases(file: string): Promise<PosixCase[]> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError('cases', `${file}: ${err.code ?? err.message}`)
  })
  return parseUserCases(text, file)
}
