// Timestamps as the kernel has them: whole seconds since the epoch (negative before 1970) and
// nanoseconds, and how an inode record keeps them.
//
// A record keeps each time as integer milliseconds (`atimeMs`, what every writer sets, e.g. to
// Date.now()) and, when the time was set with more precision, the exact [seconds, nanoseconds]
// beside it (`atime`). The exact pair counts only while it falls in the millisecond the record
// holds: a writer that sets just `atimeMs` makes it stale without knowing of it.
//
// Times are clamped, as a local filesystem clamps to what its inode can hold, to ECMAScript's
// Date range (±8.64e15 ms, about ±275 000 years), where milliseconds are still exact numbers.
import type { Inode } from './inode'

export interface Timespec {
  sec: number
  /** 0 ... 999 999 999 */
  nsec: number
}

export type TimeField = 'atime' | 'mtime' | 'ctime'

const MAX_MS = 8.64e15
const MAX_SEC = MAX_MS / 1000

/** clamp brings a time into the range records keep */
export function clamp(t: Timespec): Timespec {
  if (t.sec > MAX_SEC) return { sec: MAX_SEC, nsec: 0 }
  if (t.sec < -MAX_SEC) return { sec: -MAX_SEC, nsec: 0 }
  return t
}

/** fromMs is the time of a number of milliseconds (a fraction, from an old record, gives nanoseconds) */
export function fromMs(ms: number): Timespec {
  const clamped = Math.min(MAX_MS, Math.max(-MAX_MS, ms))
  const sec = Math.floor(clamped / 1000)
  const nsec = Math.min(999_999_999, Math.round((clamped - sec * 1000) * 1e6))
  return { sec, nsec }
}

/** toMs is the millisecond a time falls in */
export function toMs(t: Timespec): number {
  return t.sec * 1000 + Math.floor(t.nsec / 1e6)
}

/** timeOf reads one time of an inode record */
export function timeOf(i: Inode, field: TimeField): Timespec {
  const ms = i[`${field}Ms`]
  const exact = i[field]
  if (exact && toMs({ sec: exact[0], nsec: exact[1] }) === ms) return { sec: exact[0], nsec: exact[1] }
  return fromMs(ms)
}

/** setTime writes one time of an inode record (clamped) */
export function setTime(i: Inode, field: TimeField, t: Timespec): void {
  const c = clamp(t)
  i[`${field}Ms`] = toMs(c)
  if (c.nsec % 1e6 === 0) delete i[field]
  else i[field] = [c.sec, c.nsec]
}

/** before tells whether a is earlier than b */
export function before(a: Timespec, b: Timespec): boolean {
  return a.sec < b.sec || (a.sec === b.sec && a.nsec < b.nsec)
}
