// The report as a table for people: one row per workload, one column per target, then
// Meridian's ratios. Right-aligned numbers, three significant digits.
import type { BenchReport } from './report'
import { bytes } from './plan'
import type { TargetName } from './targets'

/** num shows a figure with about three significant digits */
export function num(n: number | undefined): string {
  if (n === undefined) return '-'
  if (n >= 100) return Math.round(n).toLocaleString('en-US')
  return n >= 10 ? n.toFixed(1) : n.toFixed(2)
}

/** grid lays out rows of cells; the first column left-aligned, the others right-aligned */
export function grid(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)))
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')
  return [line(rows[0]), widths.map(w => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

/** renderTable renders a report: a heading, the table, and what the cold reads dropped */
export function renderTable(r: BenchReport): string {
  const targets: TargetName[] = ['meridian', 'fuse-native', 'local', 'bindfs']
  const withEtcd = r.rows.some(row => row.figures.etcd !== undefined)
  if (withEtcd) targets.push('etcd')
  const head = ['workload', 'unit', ...targets, 'm/bindfs', 'fn/bindfs', ...(withEtcd ? ['m/etcd'] : [])]
  const body = r.rows.map(row => [
    row.label, row.unit, ...targets.map(t => num(row.figures[t])),
    num(row.ratios.bindfs), num(row.ratios['fuse-native/bindfs']), ...(withEtcd ? [num(row.ratios.etcd)] : []),
  ])
  const { cpus, memoryGiB, kernel } = r.machine
  return [
    `Meridian bench: ${r.engine} metadata (${r.meta}); ${cpus} CPUs, ${memoryGiB} GiB, Linux ${kernel}; ${r.seconds.toFixed(0)} s`,
    `sizes: big file ${bytes(r.sizes.bigSize)}, ${r.sizes.smallCount} small files per set, ${r.sizes.metaCount} names x ${r.sizes.procs} procs, ` +
      `${r.sizes.randomOps} random ops in ${bytes(r.sizes.randomSize)}`,
    '',
    grid([head, ...body]),
    '',
    `before cold reads: ${Object.entries(r.cold).map(([t, what]) => `${t}: ${what}`).join('; ')}`,
    'meridian: through the low-level binding (the default); fuse-native: the same through fuse-native',
    'm/bindfs, m/etcd: Meridian\'s figure divided by the other\'s; fn/bindfs: fuse-native\'s (higher is better everywhere; below 1 is slower)',
  ].join('\n')
}
