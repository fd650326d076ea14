// meridian bench as a user runs it, with tiny sizes on the embedded engine: the JSON report
// has a figure for every workload on Meridian, the local disk and bindfs, and Meridian's
// ratio to bindfs; nothing stays mounted or on disk. Speed is never asserted. This process
// serves no mount, so it may wait for the command synchronously.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchReport } from '../lib/bench/report'
import { fuseMounts } from '../lib/fuse/mounts'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const TINY = ['--big-size', '8M', '--small-count', '20', '--meta-count', '20', '--procs', '1', '--random-size', '8M', '--random-ops', '50']

function bench(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'bench', ...args], { encoding: 'utf8', timeout: 300_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

t.test('a tiny run reports every workload on every target, and cleans up', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = bench(dir, ...TINY, '--json')
  t.equal(r.code, 0, `exit code (stderr: ${r.err})`)
  const report = JSON.parse(r.out) as BenchReport
  t.equal(report.engine, 'embedded')
  t.match(report.sizes, { bigSize: 8 * 1024 ** 2, smallCount: 20, metaCount: 20, procs: 1, randomSize: 8 * 1024 ** 2, randomOps: 50 })
  t.same(Object.keys(report.cold).sort(), ['bindfs', 'fuse-native', 'local', 'meridian'], 'cold reads on every target say what was dropped')
  const ids = report.rows.map(row => row.id)
  t.same(ids, [
    'big-write', 'big-read',
    ...[131072, 4096].flatMap(size => ['create', 'read', 'stat', 'unlink'].map(op => `small-${size}-${op}`)),
    ...['mkdir', 'create', 'stat', 'readdir', 'rename', 'unlink'].map(op => `meta-${op}`),
    'random-write', 'random-read',
  ], 'every workload, in order')
  for (const row of report.rows) {
    t.match(row, { label: String, unit: /^(MiB\/s|ops\/s)$/ }, `${row.id}: label and unit`)
    for (const target of ['meridian', 'fuse-native', 'local', 'bindfs'] as const) {
      t.ok(row.figures[target]! > 0, `${row.id}: a figure for ${target}`)
    }
    t.equal(row.figures.etcd, undefined, `${row.id}: no raw etcd on the embedded engine`)
    t.ok(row.ratios.bindfs! > 0, `${row.id}: Meridian's ratio to bindfs`)
    t.ok(row.ratios['fuse-native/bindfs']! > 0, `${row.id}: Meridian's ratio to bindfs through fuse-native`)
    for (const target of ['meridian', 'fuse-native'] as const) {
      t.ok(Object.keys(row.fuseOps?.[target] ?? {}).length > 0, `${row.id}: the FUSE requests ${target} served`)
    }
  }
  const create = report.rows.find(row => row.id === 'meta-create')!
  t.ok((create.storeOps?.meridian?.['txn write'] ?? 0) >= report.sizes.metaCount, 'the store calls Meridian made: a commit per create at least')
  t.same(readdirSync(dir), [], 'the scratch directory is gone')
  t.same(fuseMounts().filter(m => m.dir.startsWith(dir)), [], 'nothing stays mounted')
})

t.test('the table for people, progress as plain lines without a terminal, and the chart of --plot', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-test-'))
  const charts = mkdtempSync(join(tmpdir(), 'meridian-bench-plot-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.teardown(() => rmSync(charts, { recursive: true, force: true }))
  const r = bench(dir, ...TINY, '--plot', join(charts, 'ratios.svg'))
  t.equal(r.code, 0, `exit code (stderr: ${r.err})`)
  t.match(r.out, /^workload +unit +meridian +fuse-native +local +bindfs +m\/bindfs +fn\/bindfs$/m)
  t.match(r.out, /before cold reads: meridian: .*fuse-native: .*local: .*bindfs: /)
  t.match(r.err, /^meridian bench: \d+\/\d+ steps \(\d+%\) meridian: /m, 'progress lines on stderr')
  t.match(r.err, /^meridian bench: (\d+)\/\1 steps \(100%\).* in [\d.]+ s$/m, 'and a last line when done')
  const svg = readFileSync(join(charts, 'ratios.svg'), 'utf8')
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/, 'an SVG document')
  t.match(svg, /Meridian \(low-level binding\) \/ bindfs/, 'with its legend')
  t.ok((svg.match(/<rect [^>]*fill="#2f6db3"><title>/g) ?? []).length >= 18, 'a bar per workload')
})

t.test('bad input: one line naming the field, exit 2, nothing made', async t => {
  for (const [args, field] of [[['--procs', '0'], 'procs'], [['--big-size', 'lots'], 'big-size'], [['/nonexistent/dir'], 'dir'], [['--plot', '/nonexistent/ratios.svg'], 'plot']] as const) {
    const r = bench(...args)
    t.equal(r.code, 2, `${args.join(' ')}: exit code`)
    t.match(r.err, new RegExp(`^meridian: ${field}: [^\\n]+\\n$`), `${args.join(' ')}: one line naming ${field}`)
  }
})
