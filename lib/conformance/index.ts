// The POSIX conformance suite as data anyone can run: the project's table (cases.ts), cases a
// user adds from a file (user-cases.ts), run against any directory and, optionally, beside a
// reference directory (a plain local filesystem: a case the reference fails is a wrong case,
// or a limit of the machine, such as not running as root).
import { Recorder } from './assert'
import { posixCases } from './cases'
import { operationOf, runCase, skipped, withUmask0 } from './run'
import type { PosixCase } from './types'

export { posixCases } from './cases'
export { loadUserCases, parseUserCases } from './user-cases'
export type { PosixCase } from './types'

/** what a case did in one directory */
export interface Seen {
  /** 'ok', the errno code the operation failed with, or 'error' (the case could not run) */
  seen: string
  passed: boolean
  /** the assertions that failed, or why it could not run */
  failures: string[]
}

export interface CaseResult extends Seen {
  name: string
  operation: string
  expect: string
  /** where the case comes from: 'suite', or the user's file */
  from: string
  skipped?: string
  reference?: Seen
}

export interface ConformanceReport {
  dir: string
  reference?: string
  passed: number
  failed: number
  skipped: number
  /** cases the reference directory failed */
  referenceFailed?: number
  cases: CaseResult[]
}

export interface ConformanceOptions {
  reference?: string
  /** the user's cases, and the file they came from */
  extra?: { file: string; cases: PosixCase[] }
  /** known limits of the directory under test (a case with one of these is skipped) */
  limits?: string[]
  /** told after each case */
  onCase?: (done: number, total: number, name: string) => void
}

async function runIn(c: PosixCase, dir: string): Promise<Seen> {
  const t = new Recorder()
  try {
    const seen = await runCase(c, dir, t)
    return { seen, passed: t.failures.length === 0, failures: t.failures }
  } catch (err) {
    return { seen: 'error', passed: false, failures: [...t.failures, (err as Error).message] }
  }
}

/** conformance runs every case in dir (and in the reference, when given), one after another */
export function conformance(dir: string, opts: ConformanceOptions = {}): Promise<ConformanceReport> {
  const all = [
    ...posixCases.map(c => ({ c, from: 'suite' })),
    ...(opts.extra?.cases ?? []).map(c => ({ c, from: opts.extra!.file })),
  ]
  return withUmask0(async () => {
    const cases: CaseResult[] = []
    for (const [i, { c, from }] of all.entries()) {
      const base = { name: c.name, operation: operationOf(c), expect: c.expect, from }
      const skip = skipped(c, opts.limits)
      if (skip) {
        cases.push({ ...base, seen: '-', passed: false, failures: [], skipped: skip })
      } else {
        const seen = await runIn(c, dir)
        cases.push({ ...base, ...seen, ...(opts.reference ? { reference: await runIn(c, opts.reference) } : {}) })
      }
      opts.onCase?.(i + 1, all.length, c.name)
    }
    const ran = cases.filter(c => !c.skipped)
    return {
      dir,
      ...(opts.reference ? { reference: opts.reference, referenceFailed: ran.filter(c => !c.reference?.passed).length } : {}),
      passed: ran.filter(c => c.passed).length,
      failed: ran.filter(c => !c.passed).length,
      skipped: cases.length - ran.length,
      cases,
    }
  })
}

/** table renders a report for people: one row per case, grouped by operation, then passes by operation and the totals */
export function table(r: ConformanceReport): string {
  const head = ['operation', 'case', 'expected', 'seen', ...(r.reference ? ['reference'] : []), 'result']
  const rows = [...r.cases].sort((a, b) => a.operation.localeCompare(b.operation)).map(c => [
    c.operation, c.name, c.expect, c.seen,
    ...(r.reference ? [c.reference ? `${c.reference.seen}${c.reference.passed ? '' : ' (fails)'}` : '-'] : []),
    c.skipped ? 'skip' : c.passed ? 'pass' : `FAIL${c.failures.length ? `: ${c.failures[0]}` : ''}`,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(row => (i === head.length - 1 ? 0 : row[i].length))))
  const fmt = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')
  const byOp = new Map<string, { passed: number; ran: number }>()
  for (const c of r.cases.filter(c => !c.skipped)) {
    const n = byOp.get(c.operation) ?? { passed: 0, ran: 0 }
    byOp.set(c.operation, { passed: n.passed + (c.passed ? 1 : 0), ran: n.ran + 1 })
  }
  const perOp = [...byOp].sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${op} ${n.passed}/${n.ran}`).join(', ')
  const totals = `${r.dir}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped` +
    (r.reference ? `; the reference ${r.reference} failed ${r.referenceFailed}` : '')
  return [fmt(head), ...rows.map(fmt), '', `passed by operation: ${perOp}`, totals].join('\n')
}
