// What fsck reports: the problems it found, each with a kind a program can match on, and
// how much it looked at.

/** One inconsistency. kind names the rule that failed (see check.ts for the list). */
export interface Problem {
  kind: string
  /** the key that shows it, when one does */
  key?: string
  ino?: number
  detail: string
}

export interface FsckReport {
  /** no problems */
  ok: boolean
  problems: Problem[]
  /** inode records examined */
  inodes: number
  /** directory entries examined */
  entries: number
  /** distinct blobs referenced by extents */
  blobs: number
  /** with repair: how many cross-group transaction records and intents were settled first */
  repaired?: number
}

/** Report collects one problem. */
export type Report = (problem: Problem) => void
