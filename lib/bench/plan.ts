// The workloads as a list of steps: which phase the workers run, with which sizes, on how many
// workers, whether caches are dropped first, and which row of the table its timing makes.
// Untimed steps (making and removing the test files) have no row.
import type { PhaseArgs, PhaseName } from './job'
import { listings } from './meta-ops'

export type Unit = 'MiB/s' | 'ops/s'

export interface Row {
  id: string
  label: string
  unit: Unit
}

export interface Step {
  phase: PhaseName
  args: PhaseArgs
  /** every worker runs it (the metadata phases); otherwise the first worker alone */
  all?: boolean
  /** drop caches first: a cold read */
  cold?: boolean
  row?: Row
}

export interface Sizes {
  /** bytes of the big sequential file */
  bigSize: number
  /** files per small-file set */
  smallCount: number
  /** names per worker in the metadata workload */
  metaCount: number
  /** worker processes in the metadata workload */
  procs: number
  /** bytes of the random-I/O file */
  randomSize: number
  /** operations per random-I/O phase */
  randomOps: number
}

/** the file sizes of the small-file sets */
export const SMALL_SIZES = [128 * 1024, 4 * 1024]

const MiB = 1024 * 1024

/** bytes as people say them: 1 GiB, 256 MiB, 128 KiB, 4096 B */
export function bytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 * MiB], ['MiB', MiB], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`
  }
  return `${n} B`
}

function bigSteps(s: Sizes): Step[] {
  const args = { size: s.bigSize, count: 1 }
  return [
    { phase: 'big-write', args, row: { id: 'big-write', label: `big file ${bytes(s.bigSize)}: write 1 MiB blocks + fsync`, unit: 'MiB/s' } },
    { phase: 'big-read', args, cold: true, row: { id: 'big-read', label: `big file ${bytes(s.bigSize)}: read 1 MiB blocks, cold`, unit: 'MiB/s' } },
  ]
}

function smallSteps(s: Sizes): Step[] {
  return SMALL_SIZES.flatMap(size => {
    const args = { size, count: s.smallCount }
    const row = (what: string, label: string): Row => ({ id: `small-${size}-${what}`, label: `${s.smallCount} x ${bytes(size)} files: ${label}`, unit: 'ops/s' })
    return [
      { phase: 'small-create', args, row: row('create', 'create+write+close') },
      { phase: 'small-read', args, row: row('read', 'read') },
      { phase: 'small-stat', args, row: row('stat', 'stat') },
      { phase: 'small-unlink', args, row: row('unlink', 'unlink') },
    ] satisfies Step[]
  })
}

/** metaSteps is the metadata workload: the part that also runs as raw etcd transactions */
export function metaSteps(s: Sizes): Step[] {
  const args = { size: 0, count: s.metaCount }
  const entries = 2 * s.metaCount * s.procs
  const row = (what: string, label = what): Row => ({ id: `meta-${what}`, label: `${label} (${s.procs} procs, shared dir)`, unit: 'ops/s' })
  return [
    { phase: 'meta-setup', args },
    { phase: 'meta-mkdir', args, all: true, row: row('mkdir') },
    { phase: 'meta-create', args, all: true, row: row('create', 'create empty') },
    { phase: 'meta-stat', args, all: true, row: row('stat') },
    { phase: 'meta-readdir', args, all: true, row: row('readdir', `readdir of ${entries} entries, x${listings(s.metaCount)}`) },
    { phase: 'meta-rename', args, all: true, row: row('rename', 'rename into a subdir') },
    { phase: 'meta-unlink', args, all: true, row: row('unlink') },
    { phase: 'meta-cleanup', args, all: true },
    { phase: 'meta-teardown', args },
  ]
}

function randomSteps(s: Sizes): Step[] {
  const args = { size: s.randomSize, count: s.randomOps }
  const file = `${bytes(s.randomSize)} file`
  return [
    { phase: 'random-prepare', args },
    { phase: 'random-write', args, row: { id: 'random-write', label: `random 4 KiB writes in a ${file} + fsync`, unit: 'ops/s' } },
    { phase: 'random-read', args, cold: true, row: { id: 'random-read', label: `random 4 KiB reads in a ${file}, cold`, unit: 'ops/s' } },
  ]
}

/** fileSteps is every workload, for the targets that are directories */
export function fileSteps(s: Sizes): Step[] {
  return [...bigSteps(s), ...smallSteps(s), ...metaSteps(s), ...randomSteps(s)]
}
