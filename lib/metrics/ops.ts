// The FUSE edge's one seam: each binding calls opStarted when a request arrives and the
// function it returns when the answer goes back. That feeds the latency histogram and the
// errors by errno, logs slow operations (with the operation, its path or inode, and how long
// it took), and keeps the latest of them for the status page.
import { constants } from 'node:os'
import { log } from '../log'
import { child, fuseErrors, fuseOpSeconds } from './registry'

/** operations slower than this are logged and kept (the default of --slow-op-ms) */
export const DEFAULT_SLOW_OP_MS = 500
/** how many slow operations are kept for the status page */
const KEPT = 50

export interface SlowOp {
  /** ISO time the operation ended */
  at: string
  op: string
  /** a path (fuse-native binding) or an inode number (low-level binding) */
  path?: string
  ino?: number
  /** the name in directory ino that the operation is about (lookup, create, unlink, ...) */
  entry?: string
  ms: number
  /** the errno it was answered with, when it failed */
  errno?: string
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]))
const opSeconds = child(op => fuseOpSeconds.labels({ op }))
let slowOpMs = DEFAULT_SLOW_OP_MS
const slow: SlowOp[] = []

/** setSlowOpMs sets the threshold above which operations are logged as slow */
export function setSlowOpMs(ms: number): void {
  slowOpMs = ms
}

/** recentSlowOps is the latest slow operations of this process, newest first */
export function recentSlowOps(): SlowOp[] {
  return [...slow].reverse()
}

/**
 * opStarted marks the arrival of FUSE request op on target (its path, or its inode and the
 * entry in it the request is about); call what it returns with the answer's errno (0, or a
 * negative or positive errno number) when it is answered
 */
export function opStarted(op: string, target: string | number, entry?: string): (errno: number) => void {
  const start = process.hrtime.bigint()
  return errno => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    opSeconds(op).observe(seconds)
    const code = errno === 0 ? undefined : (ERRNO_NAMES.get(Math.abs(errno)) ?? String(Math.abs(errno)))
    if (code) fuseErrors.inc({ op, errno: code })
    const ms = seconds * 1000
    if (ms < slowOpMs) return
    const where = typeof target === 'number' ? { ino: target, ...(entry === undefined ? {} : { entry }) } : { path: target }
    const done: SlowOp = { at: new Date().toISOString(), op, ...where, ms: Math.round(ms), ...(code ? { errno: code } : {}) }
    slow.push(done)
    if (slow.length > KEPT) slow.shift()
    log.warn({ ...done, slow: true }, `slow fuse ${op}: ${done.ms} ms`)
  }
}
