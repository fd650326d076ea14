// The one retry policy for metadata calls: retry only what is marked recoverable (leader
// change, unavailable member), with jittered exponential backoff, until a deadline; then
// report ETIMEDOUT naming what did not answer. Conflicts and permanent errors pass through.
import { setTimeout as sleep } from 'node:timers/promises'
import { MetaError } from '../errors'
import { countRetry } from '../metrics/counters'

/**
 * How long a metadata call retries before it fails with ETIMEDOUT: the bound an operation
 * waits through a lost quorum (docs/reliability.md, "etcd faults"). A leader election takes
 * about a second, so a failover fits many times over.
 */
export const DEADLINE_MS = 10_000
/**
 * How long one attempt may take: a member that hangs (stopped, cut off) is given up after this
 * and the call goes to another; a commit cut off here may have applied, which lib/fs/tx.ts handles.
 */
export const ATTEMPT_MS = 3_000

export interface RetryOptions {
  /** give up after this long in all (default DEADLINE_MS) */
  deadlineMs?: number
  /** the deadline of one attempt (default ATTEMPT_MS) */
  attemptMs?: number
}

export async function withRetry<T>(
  attempt: (opts: { deadline: number }) => Promise<T>,
  classify: (err: unknown) => MetaError,
  opts: RetryOptions,
  what: string,
): Promise<T> {
  const deadlineMs = opts.deadlineMs ?? DEADLINE_MS
  const giveUp = Date.now() + deadlineMs
  let delay = 25
  let first: MetaError | undefined
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt({ deadline: Math.min(giveUp, Date.now() + (opts.attemptMs ?? ATTEMPT_MS)) })
    } catch (e) {
      const err = classify(e)
      if (!err.recoverable) throw err
      first ??= err
      countRetry()
      if (Date.now() + delay >= giveUp) {
        const errors = first.message === err.message ? `error: ${err.message}` : `first error: ${first.message}; last: ${err.message}`
        throw new MetaError('ETIMEDOUT', `${what} did not answer within ${deadlineMs} ms (${attempts} attempts; ${errors})`, { cause: err })
      }
      await sleep(delay * (0.5 + Math.random()))
      delay = Math.min(delay * 2, 1_000)
    }
  }
}
