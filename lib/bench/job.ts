// What the bench parent asks a worker process to do, and what the worker answers. Shared by
// both sides of the IPC channel (workers.ts in the parent, worker.ts in the child).

/** where a worker runs its phase: a directory (a mount or the local disk) or raw etcd */
export type TargetSpec =
  | { kind: 'posix'; dir: string }
  | { kind: 'etcd'; url: string; fsName: string }

export type PhaseName =
  | 'big-write' | 'big-read'
  | 'small-create' | 'small-read' | 'small-stat' | 'small-unlink'
  | 'meta-setup' | 'meta-mkdir' | 'meta-create' | 'meta-stat' | 'meta-readdir' | 'meta-rename' | 'meta-unlink'
  | 'meta-cleanup' | 'meta-teardown'
  | 'random-prepare' | 'random-write' | 'random-read'

/** the sizes of one phase; each workload reads the ones it needs */
export interface PhaseArgs {
  /** bytes: of the big file, of one small file, of the random-I/O file */
  size: number
  /** files or operations, per worker */
  count: number
}

export interface Job {
  phase: PhaseName
  target: TargetSpec
  args: PhaseArgs
  /** this worker's index among those that run the phase together */
  k: number
}

/** the timed window of one phase in one worker (ms on a clock shared by the processes) */
export interface Timing {
  start: number
  end: number
  ops: number
  bytes: number
}

export type WorkerMessage =
  | { type: 'progress'; fraction: number }
  | { type: 'done'; timing: Timing }
  | { type: 'error'; message: string }

/** now is wall-clock milliseconds with sub-millisecond resolution, comparable across processes */
export function now(): number {
  return performance.timeOrigin + performance.now()
}

/** Progress is told how far a phase is: done out of total */
export type Progress = (done: number, total: number) => void
