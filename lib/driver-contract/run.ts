// Running the driver contract without a test framework, for `meridian driver-test`: every
// case in turn, each with its own drivers, its teardowns run even when it fails, a deadline so
// that a driver that hangs fails its case rather than the command.
import type { PoolDriver } from '../../drivers/driver'
import { contractCases, type Checks } from './cases'

export interface CaseResult {
  name: string
  ok: boolean
  /** the checks that failed, or what the case threw */
  failures: string[]
  ms: number
}

/** how long one case may take before it fails as hung */
export const CASE_DEADLINE_MS = 60_000

function codeOf(err: unknown): string | undefined {
  return (err as { code?: unknown } | null)?.code as string | undefined
}

async function runCase(run: (c: Checks) => Promise<void>, deadlineMs: number): Promise<string[]> {
  const failures: string[] = []
  const teardowns: Array<() => unknown> = []
  const checks: Checks = {
    ok: (cond, what) => { if (!cond) failures.push(what) },
    rejects: async (promise, what, code) => {
      try {
        await promise
        failures.push(`${what}: resolved, should have rejected${code ? ` with ${code}` : ''}`)
      } catch (err) {
        if (code && codeOf(err) !== code) failures.push(`${what}: rejected with ${codeOf(err) ?? (err as Error)?.message ?? String(err)}, not ${code}`)
      }
    },
    teardown: fn => { teardowns.push(fn) },
  }
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`did not finish within ${deadlineMs / 1000} s`)), deadlineMs) })
  try {
    await Promise.race([run(checks), deadline])
  } catch (err) {
    failures.push(`threw: ${(err as Error)?.message ?? String(err)}`)
  } finally {
    clearTimeout(timer)
  }
  for (const fn of teardowns.reverse()) {
    try {
      await fn()
    } catch (err) {
      failures.push(`teardown: ${(err as Error)?.message ?? String(err)}`)
    }
  }
  return failures
}

/** runContract runs every contract case against the drivers open returns, and reports each */
export async function runContract(open: () => Promise<PoolDriver>, opts: { deadlineMs?: number } = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = []
  for (const k of contractCases) {
    const started = Date.now()
    const failures = await runCase(c => k.run(c, open), opts.deadlineMs ?? CASE_DEADLINE_MS)
    const result = { name: k.name, ok: failures.length === 0, failures, ms: Date.now() - started }
    results.push(result)
  }
  return results
}
