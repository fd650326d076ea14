// The assertions a case's checks and scripts make. A tap Test has them all (the tap suites pass
// theirs); `meridian conformance` passes a Recorder, which notes each failure instead.
import { isDeepStrictEqual } from 'node:util'

/** an optional message, as tap's assertions take it */
type Msg = [] | [string]

export interface Assert {
  equal(found: unknown, wanted: unknown, ...message: Msg): unknown
  same(found: unknown, wanted: unknown, ...message: Msg): unknown
  match(found: unknown, pattern: unknown, ...message: Msg): unknown
  ok(value: unknown, ...message: Msg): unknown
  notOk(value: unknown, ...message: Msg): unknown
  pass(...message: Msg): unknown
  /** comment notes something worth seeing that is neither a pass nor a failure */
  comment(message: string): unknown
  /** rejects resolves once p rejected with an error of the code wanted */
  rejects(p: Promise<unknown>, ...wanted: [{ code: string }]): Promise<unknown>
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : Buffer.isBuffer(v) ? `<${v.length} bytes>` : String(v))

/** matches: every field of pattern is in found with the same value (tap's match, for plain objects) */
function matches(found: unknown, pattern: unknown): boolean {
  if (pattern instanceof RegExp) return typeof found === 'string' && pattern.test(found)
  if (typeof pattern !== 'object' || pattern === null) return isDeepStrictEqual(found, pattern)
  if (typeof found !== 'object' || found === null) return false
  return Object.entries(pattern).every(([k, v]) => matches((found as Record<string, unknown>)[k], v))
}

/** Recorder keeps the message of every assertion that failed */
export class Recorder implements Assert {
  readonly failures: string[] = []

  private check(passed: boolean, message: string): boolean {
    if (!passed) this.failures.push(message)
    return passed
  }

  equal(found: unknown, wanted: unknown, ...[message = 'equal']: Msg): boolean {
    return this.check(found === wanted, `${message}: found ${show(found)}, wanted ${show(wanted)}`)
  }

  same(found: unknown, wanted: unknown, ...[message = 'same']: Msg): boolean {
    return this.check(isDeepStrictEqual(found, wanted), `${message}: found ${JSON.stringify(found)}, wanted ${JSON.stringify(wanted)}`)
  }

  match(found: unknown, pattern: unknown, ...[message = 'match']: Msg): boolean {
    return this.check(matches(found, pattern), `${message}: found no match for ${JSON.stringify(pattern)}`)
  }

  ok(value: unknown, ...[message = 'ok']: Msg): boolean {
    return this.check(Boolean(value), message)
  }

  notOk(value: unknown, ...[message = 'not ok']: Msg): boolean {
    return this.check(!value, `${message} (it was)`)
  }

  pass(): boolean {
    return true
  }

  /** comment: a recorder keeps failures only */
  comment(): void {}

  async rejects(p: Promise<unknown>, ...[wanted]: [{ code: string }]): Promise<boolean> {
    try {
      await p
    } catch (err) {
      return this.check(matches(err, wanted), `rejected with ${(err as Error).message}, wanted ${wanted.code}`)
    }
    return this.check(false, `did not fail, wanted ${wanted.code}`)
  }
}
