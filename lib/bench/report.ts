// What a bench run reports: one row per timed step, with each target's figure and Meridian's
// ratio to bindfs through each binding (and to raw etcd for the metadata rows when Meridian
// runs on etcd).
import { cpus, release, totalmem } from 'node:os'
import type { OpCounts } from '../fuse/ops'
import type { Timing } from './job'
import type { Row, Sizes, Unit } from './plan'
import type { TargetName } from './targets'

export interface ReportRow extends Row {
  /** throughput in MiB/s or operations per second; higher is better */
  figures: Partial<Record<TargetName, number>>
  /** Meridian's figure (low-level binding) divided by the other target's: below 1 is slower; 'fuse-native/bindfs' is Meridian through fuse-native over bindfs */
  ratios: Partial<Record<'bindfs' | 'etcd' | 'fuse-native/bindfs', number>>
  /** FUSE requests that reached JavaScript during the step, by Meridian target and op */
  fuseOps?: Partial<Record<TargetName, OpCounts>>
  /** metadata store calls made during the step, by Meridian target and kind */
  storeOps?: Partial<Record<TargetName, OpCounts>>
}

export interface BenchReport {
  /** the metadata engine under the Meridian mount, and its URL */
  engine: string
  meta: string
  sizes: Sizes
  machine: { cpus: number; memoryGiB: number; kernel: string }
  /** what was done before the cold reads, per target */
  cold: Partial<Record<TargetName, string>>
  rows: ReportRow[]
  /** how long the whole run took */
  seconds: number
}

/** machine describes this computer for the report */
export function machine(): BenchReport['machine'] {
  return { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 1024 ** 3), kernel: release() }
}

/** figure turns the workers' timings into one figure: everything done over the wall time from first start to last end */
export function figure(unit: Unit, timings: Timing[]): number {
  const seconds = (Math.max(...timings.map(t => t.end)) - Math.min(...timings.map(t => t.start))) / 1000
  const done = timings.reduce((sum, t) => sum + (unit === 'MiB/s' ? t.bytes / 1024 ** 2 : t.ops), 0)
  return seconds > 0 ? done / seconds : 0
}

/** withRatios fills in Meridian's ratios to bindfs and raw etcd where both figures exist */
export function withRatios(row: ReportRow): ReportRow {
  const m = row.figures.meridian
  const ratios: ReportRow['ratios'] = {}
  for (const other of ['bindfs', 'etcd'] as const) {
    const o = row.figures[other]
    if (m !== undefined && o !== undefined && o > 0) ratios[other] = m / o
  }
  const fn = row.figures['fuse-native']
  const b = row.figures.bindfs
  if (fn !== undefined && b !== undefined && b > 0) ratios['fuse-native/bindfs'] = fn / b
  return { ...row, ratios }
}

/** countsSince is what was served between two readings of a mount's op counts */
export function countsSince(before: OpCounts, after: OpCounts): OpCounts {
  const diff: OpCounts = {}
  for (const [op, n] of Object.entries(after)) if (n > (before[op] ?? 0)) diff[op] = n - (before[op] ?? 0)
  return diff
}
