// The one retry policy for metadata calls: retry only what is marked recoverable (leader
// change, unavailable member), with jittered exponential backoff, until a deadline; then
// report ETIMEDOUT naming what did not answer. Conflicts and permanent errors pass through.
import { setTimeout as sleep } from 'node:timers/promises'
import { MetaError } from '../errors'
import { countRetry } from '../metrics/counters'

export interface RetryOptions {
  /** give up after this long in all (default 15 s) */
  deadlineMs?: number
  /** the deadline of one attempt (default 5 s) */
  attemptMs?: number
}

export async function withRetry<T>(
  attempt: (opts: { deadline: number }) => Promise<T>,
  classify: (err: unknown) => MetaError,
  opts: RetryOptions,
  what: string,
): Promise<T> {
  const deadlineMs = opts.deadlineMs ?? 15_000
  const giveUp = Date.now() + deadlineMs
  let delay = 25
  let first: MetaError | undefined
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt({ deadline: Math.min(giveUp, Date.now() + (opts.attemptMs ?? 5_000)) })
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
