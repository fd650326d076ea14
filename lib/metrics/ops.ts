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
 * opStarted marks the arrival of FUSE request op on target (its path or inode); call what it
 * returns with the answer's errno (0, or negative or positive errno number) when it is answered
 */
export function opStarted(op: string, target: string | number): (errno: number) => void {
  const start = process.hrtime.bigint()
  return errno => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    opSeconds(op).observe(seconds)
    const name = errno === 0 ? undefined : (ERRNO_NAMES.get(Math.abs(errno)) ?? String(Math.abs(errno)))
    if (name) fuseErrors.inc({ op, errno: name })
    const ms = seconds * 1000
    if (ms < slowOpMs) return
    const entry: SlowOp = { at: new Date().toISOString(), op, ...(typeof target === 'number' ? { ino: target } : { path: target }), ms: Math.round(ms), ...(name ? { errno: name } : {}) }
    slow.push(entry)
    if (slow.length > KEPT) slow.shift()
    log.warn({ ...entry, slow: true }, `slow fuse ${op}: ${entry.ms} ms`)
  }
}
