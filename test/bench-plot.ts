// meridian bench --plot: the SVG of a report's ratios, drawn from a report made up here (the
// real run is test/bench.ts). The document must parse as XML: headless Chromium (Debian
// 'chromium') loads it and reports any error, as a browser showing it would.
import t from 'tap'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { renderPlot } from '../lib/bench/plot'
import type { BenchReport, ReportRow } from '../lib/bench/report'

const row = (id: string, label: string, ratios: ReportRow['ratios']): ReportRow =>
  ({ id, label, unit: 'ops/s', figures: {}, ratios }) as ReportRow

const report = {
  engine: 'etcd', meta: 'etcd://127.0.0.1:2379', sizes: {}, cold: {}, seconds: 1,
  machine: { cpus: 2, memoryGiB: 8, kernel: '6.1' },
  rows: [
    row('big-write', 'big file: write <1 MiB> & fsync', { bindfs: 0.5, 'fuse-native/bindfs': 0.25 }),
    row('meta-stat', 'stat', { bindfs: 2.5, 'fuse-native/bindfs': 1, etcd: 0.02 }),
  ],
} as unknown as BenchReport

t.test('one bar per ratio, on a log scale centred on parity', async t => {
  const svg = renderPlot(report)
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/)
  t.match(svg, /&lt;1 MiB&gt; &amp; fsync/, 'labels are escaped')
  for (const tag of svg.match(/<[a-z]+ [^>]*>/g) ?? []) {
    const names = [...tag.matchAll(/ ([a-z-]+)="/g)].map(m => m[1])
    t.equal(new Set(names).size, names.length, `attributes named once: ${tag.slice(0, 60)}`)
  }
  const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="\d+" fill="(#[0-9a-f]+)"><title>([^<]*)<\/title>/g)]
  t.equal(bars.length, 5, 'five ratios, five bars')
  const parity = Number(/<line x1="([\d.]+)"[^>]*stroke="#333"/.exec(svg)?.[1])
  const bar = (title: RegExp) => bars.find(b => title.test(b[4]))!
  const slow = bar(/write .*low-level binding\) \/ bindfs = 0.50/)
  t.ok(Math.abs(Number(slow[1]) + Number(slow[2]) - parity) < 0.2, 'a ratio below 1 ends at parity')
  const fast = bar(/stat: .*low-level binding\) \/ bindfs = 2.50/)
  t.ok(Math.abs(Number(fast[1]) - parity) < 0.2, 'a ratio above 1 starts at parity')
  t.ok(Math.abs(Number(bar(/0.25/)[2]) - 2 * Number(slow[2])) < 0.5, 'a quarter is twice as long as a half (log scale)')
  t.match(svg, /Meridian \/ raw etcd/, 'the etcd series, which one row has, is in the legend')
})

const CHROMIUM = spawnSync('chromium', ['--version']).status === 0
t.test('the document parses as XML in a browser', { skip: CHROMIUM ? false : "chromium not found (Debian package 'chromium', fixtures/setup.sh)" }, async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-plot-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'ratios.svg'), renderPlot(report))
  // --no-sandbox: Chromium refuses to run its sandbox as root (CI runs as root)
  const { stdout } = await promisify(execFile)('chromium', ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${join(dir, 'profile')}`, '--dump-dom', `file://${dir}/ratios.svg`], { timeout: 90_000 })
  t.notMatch(stdout, /parsererror|This page contains the following errors/, 'no XML error')
  t.match(stdout, /<svg /, 'the chart')
})
