// `meridian bench --plot FILE`: the side-by-side ratios as an SVG chart, written by hand (a few
// rects and text). One group of horizontal bars per workload, one bar per ratio (Meridian over
// bindfs through each binding, over raw etcd when measured), on a log scale centred on 1, so
// that 2x faster and 2x slower are as long; the line at 1 is parity.
import type { BenchReport, ReportRow } from './report'
import { num } from './table'

type Series = keyof ReportRow['ratios']

const SERIES: Array<{ key: Series; label: string; colour: string }> = [
  { key: 'bindfs', label: 'Meridian (low-level binding) / bindfs', colour: '#2f6db3' },
  { key: 'fuse-native/bindfs', label: 'Meridian (fuse-native) / bindfs', colour: '#9bbbe0' },
  { key: 'etcd', label: 'Meridian / raw etcd', colour: '#d9822b' },
]

/** about the width of a character of the 12 px labels, to leave room for the longest */
const CHAR_W = 6.8
const PLOT_W = 520
const BAR_H = 14
const GAP = 10
const TOP = 80
const FONT = 'font-family="system-ui, sans-serif"'

const esc = (s: string) => s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

/** text is one <text> element at x, y: attrs are further attributes (each named once), size in px */
const text = (x: number, y: number, content: string, attrs = '', size = 12) =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} font-size="${size}"${attrs ? ` ${attrs}` : ''}>${esc(content)}</text>`

/** renderPlot draws the report's ratios as an SVG document */
export function renderPlot(r: BenchReport): string {
  const series = SERIES.filter(s => r.rows.some(row => row.ratios[s.key] !== undefined))
  const values = r.rows.flatMap(row => series.map(s => row.ratios[s.key]).filter((v): v is number => v !== undefined && v > 0))
  // decades wide enough for every ratio, and symmetric around 1
  const reach = Math.max(1, ...values.map(v => Math.ceil(Math.abs(Math.log10(v)))))
  const labelW = Math.ceil(16 + CHAR_W * Math.max(10, ...r.rows.map(row => row.label.length)))
  const x = (v: number) => labelW + ((Math.log10(v) + reach) / (2 * reach)) * PLOT_W
  const groupH = series.length * BAR_H + GAP
  const height = TOP + r.rows.length * groupH + 40
  const width = labelW + PLOT_W + 80
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    text(10, 22, `Meridian bench: ratios to the reference, side by side (${r.engine} metadata)`, 'font-weight="600"', 15),
    text(10, 40, `${r.machine.cpus} CPUs, ${r.machine.memoryGiB} GiB, Linux ${r.machine.kernel}; above 1 is faster than the reference (log scale)`, 'fill="#555"'),
  ]
  series.forEach((s, i) => {
    const lx = 10 + i * 270
    out.push(`<rect x="${lx}" y="52" width="12" height="12" fill="${s.colour}"/>`, text(lx + 18, 62, s.label))
  })
  const bottom = height - 30
  for (let d = -reach; d <= reach; d++) {
    const gx = x(10 ** d)
    out.push(`<line x1="${gx}" y1="${TOP - 6}" x2="${gx}" y2="${bottom}" stroke="${d === 0 ? '#333' : '#ddd'}" stroke-width="${d === 0 ? 1.5 : 1}"/>`)
    out.push(text(gx, bottom + 16, d >= 0 ? String(10 ** d) : (10 ** d).toFixed(-d), 'text-anchor="middle" fill="#555"'))
  }
  r.rows.forEach((row, i) => {
    const gy = TOP + i * groupH
    out.push(text(labelW - 8, gy + (series.length * BAR_H) / 2 + 4, row.label, 'text-anchor="end"'))
    series.forEach((s, j) => {
      const v = row.ratios[s.key]
      if (v === undefined || v <= 0) return
      const y = gy + j * BAR_H
      const [a, b] = [x(1), x(v)].sort((p, q) => p - q)
      out.push(`<rect x="${a.toFixed(1)}" y="${y + 1}" width="${Math.max(1, b - a).toFixed(1)}" height="${BAR_H - 2}" fill="${s.colour}"><title>${esc(`${row.label}: ${s.label} = ${num(v)}`)}</title></rect>`)
      out.push(text(v >= 1 ? b + 4 : a - 4, y + BAR_H - 3, num(v), `text-anchor="${v >= 1 ? 'start' : 'end'}"`, 10))
    })
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
