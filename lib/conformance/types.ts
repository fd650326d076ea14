// The shape of a conformance case: an operation with its arguments (a CaseDir method) or a
// script, the setup steps before it, the errno it must fail with ('ok': it succeeds), and a
// check of what it returned and left behind.
import type { Assert } from './assert'
import type { CaseDir, Errno, OpName } from './case-dir'

/** Step is a CaseDir method and its arguments, or a script for what a table row cannot say. */
export type Step = { [K in OpName]: [K, ...Parameters<CaseDir[K]>] }[OpName] | ((d: CaseDir, t: Assert) => Promise<unknown>)

/** Check asserts on what the op returned and the state it left; the suite awaits it. */
export type Check = (t: Assert, d: CaseDir, result: unknown) => unknown

export interface PosixCase {
  name: string
  setup?: Step[]
  op: Step
  /** 'ok', or the err.code the op must fail with */
  expect: 'ok' | Errno
  /** runs after op, whether it failed or not */
  check?: Check
  /** why the case is skipped everywhere */
  skip?: string
  /**
   * a known limit of some filesystems under test (e.g. 'fuse-native': it asks for a directory's
   * attributes by path only); the case is skipped where the runner is told of the limit
   */
  limit?: string
}