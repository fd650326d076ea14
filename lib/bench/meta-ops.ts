// Metadata operations per second, with several worker processes over one shared directory
// (mdtest's shared-directory mode): every worker k makes dirs d.k.i and empty files f.k.i in
// the same directory, stats its files, lists the directory, moves each f.k.i into d.k.i, and
// unlinks it. The same phases run on a directory (posixNames) or as raw etcd transactions
// (raw-etcd.ts), through the NameOps interface.
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { now, type Job, type Progress, type Timing } from './job'

/** the name operations of the workload, on paths relative to the shared directory */
export interface NameOps {
  /** makes the shared directory (one worker, before the others start) */
  setup(): void | Promise<void>
  mkdir(path: string): void | Promise<void>
  /** creates an empty file and closes it */
  create(path: string): void | Promise<void>
  stat(path: string): void | Promise<void>
  /** lists the directory; the number of entries */
  readdir(path: string): number | Promise<number>
  rename(from: string, to: string): void | Promise<void>
  unlink(path: string): void | Promise<void>
  rmdir(path: string): void | Promise<void>
  /** removes the shared directory (one worker, after the others cleaned up) */
  teardown(): void | Promise<void>
}

/** posixNames runs the operations as system calls under dir/meta */
export function posixNames(dir: string): NameOps {
  const root = join(dir, 'meta')
  const at = (path: string) => join(root, path)
  return {
    setup: () => mkdirSync(root),
    mkdir: path => mkdirSync(at(path)),
    create: path => closeSync(openSync(at(path), 'wx')),
    stat: path => { statSync(at(path)) },
    readdir: path => readdirSync(at(path)).length,
    rename: (from, to) => renameSync(at(from), at(to)),
    unlink: path => unlinkSync(at(path)),
    rmdir: path => rmdirSync(at(path)),
    teardown: () => rmdirSync(root),
  }
}

/** listings is how many times each worker lists the shared directory (each listing is one op) */
export function listings(count: number): number {
  return Math.max(1, Math.round(count / 100))
}

type Step = (ops: NameOps, k: number, i: number) => unknown

const steps: Record<string, Step> = {
  'meta-mkdir': (ops, k, i) => ops.mkdir(`d.${k}.${i}`),
  'meta-create': (ops, k, i) => ops.create(`f.${k}.${i}`),
  'meta-stat': (ops, k, i) => ops.stat(`f.${k}.${i}`),
  'meta-readdir': async ops => {
    if ((await ops.readdir('')) === 0) throw new Error('the shared directory lists empty')
  },
  'meta-rename': (ops, k, i) => ops.rename(`f.${k}.${i}`, `d.${k}.${i}/f`),
  'meta-unlink': (ops, k, i) => ops.unlink(`d.${k}.${i}/f`),
  'meta-cleanup': (ops, k, i) => ops.rmdir(`d.${k}.${i}`),
}

/** metaPhase runs one phase of the workload as worker job.k; setup and teardown run once */
export async function metaPhase(ops: NameOps, job: Job, progress: Progress): Promise<Timing> {
  const start = now()
  if (job.phase === 'meta-setup' || job.phase === 'meta-teardown') {
    await (job.phase === 'meta-setup' ? ops.setup() : ops.teardown())
    return { start, end: now(), ops: 0, bytes: 0 }
  }
  const step = steps[job.phase]
  if (!step) throw new Error(`no metadata phase ${job.phase}`)
  const n = job.phase === 'meta-readdir' ? listings(job.args.count) : job.args.count
  for (let i = 0; i < n; i++) {
    await step(ops, job.k, i)
    progress(i + 1, n)
  }
  return { start, end: now(), ops: job.phase === 'meta-cleanup' ? 0 : n, bytes: 0 }
}
