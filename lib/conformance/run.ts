// Runs conformance cases: each in a fresh subdirectory of the directory under test, removed
// when it ends, so cases never see each other. The assertions go to whatever Assert is given:
// a tap Test in the project's suites, a Recorder for `meridian conformance`.
import { mkdtemp, rm } from 'node:fs/promises'
import type { Assert } from './assert'
import { CaseDir } from './case-dir'
import type { PosixCase, Step } from './types'

/** operationOf names a case's operation: its CaseDir method, or 'script' */
export function operationOf(c: PosixCase): string {
  return typeof c.op === 'function' ? 'script' : c.op[0]
}

function runStep(step: Step, d: CaseDir, t: Assert): Promise<unknown> {
  if (typeof step === 'function') return step(d, t)
  const [name, ...args] = step
  return (d[name] as (...args: unknown[]) => Promise<unknown>)(...args)
}

/** outcome is 'ok' and the step's result when it succeeds, else its error code; an error without one is rethrown. */
async function outcome(step: Step, d: CaseDir, t: Assert): Promise<{ code: string; result?: unknown }> {
  try {
    return { code: 'ok', result: await runStep(step, d, t) }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (typeof code !== 'string') throw err
    return { code }
  }
}

/**
 * runCase runs c in a fresh subdirectory of root: its setup, its op (asserting the outcome c
 * expects), its check; resolves with what the op answered ('ok' or its errno code)
 */
export async function runCase(c: PosixCase, root: string, t: Assert): Promise<string> {
  const dir = await mkdtemp(`${root}/case-`)
  try {
    const d = new CaseDir(dir)
    for (const step of c.setup ?? []) await runStep(step, d, t)
    const { code, result } = await outcome(c.op, d, t)
    t.equal(code, c.expect, c.expect === 'ok' ? 'succeeds' : `fails with ${c.expect}`)
    await c.check?.(t, d, result)
    return code
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** withUmask0 runs fn with umask 0, so that the modes cases ask for come back exactly */
export async function withUmask0<T>(fn: () => Promise<T>): Promise<T> {
  const umask = process.umask(0)
  try {
    return await fn()
  } finally {
    process.umask(umask)
  }
}

/** skipped says why c does not run where the given limits hold, if it does not */
export function skipped(c: PosixCase, limits: readonly string[] = []): string | undefined {
  return c.skip ?? (c.limit !== undefined && limits.includes(c.limit) ? `a known limit here: ${c.limit}` : undefined)
}
