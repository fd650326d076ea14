// Access times: whether a read moves an inode's atime to now. Linux's default, relatime, moves
// it only when it is not later than mtime or ctime, or is a day old, so that a file read over
// and over costs no write each time; strictatime moves it on every access, noatime never.
// Files records the reads of a handle and makes the one update at its release (files.ts).
import { constants } from 'node:fs'
import type { Inode } from './inode'
import { before, fromMs, timeOf } from './times'

export type AtimeMode = 'relatime' | 'strictatime' | 'noatime'

export const ATIME_MODES: readonly AtimeMode[] = ['relatime', 'strictatime', 'noatime']

/** an open with O_NOATIME (the owner's or root's) leaves atime alone */
export const O_NOATIME = constants.O_NOATIME ?? 0o1000000

const DAY_MS = 24 * 3600 * 1000

/** atimeDue tells whether reading inode i at nowMs moves its atime */
export function atimeDue(mode: AtimeMode, i: Inode, nowMs: number): boolean {
  if (mode === 'noatime') return false
  if (mode === 'strictatime') return true
  const atime = timeOf(i, 'atime')
  return !before(timeOf(i, 'mtime'), atime) || !before(timeOf(i, 'ctime'), atime) || before(atime, fromMs(nowMs - DAY_MS))
}
