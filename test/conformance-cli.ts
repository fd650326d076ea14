// meridian conformance as a user runs it: the project's POSIX table and a case file of the
// user's own, against a temporary directory beside a reference temporary directory; and a
// case file that does not validate.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { posixCases, table, type ConformanceReport } from '../lib/conformance'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const root = mkdtempSync(join(tmpdir(), 'meridian-conformance-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
// searchable by the other user some cases act as
chmodSync(root, 0o755)

function conformance(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'conformance', ...args], { encoding: 'utf8', timeout: 240_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

const USER_CASES = `
# two cases of the user's own: one the kernel passes, one that expects the wrong errno
- name: mkdir over a file fails with EEXIST
  setup: [[write, f, hello]]
  op: [mkdir, f]
  expect: EEXIST
  check: { exists: [f], text: { f: hello }, size: { f: 5 } }
- name: a new directory has the mode asked for
  op: [mkdir, d, 0o750]
  expect: ok
  check: { mode: { d: '750' }, gone: [x] }
- name: a wrong expectation
  op: [rmdir, missing]
  expect: ENOTEMPTY
`

t.test('the table and a user case file, beside a reference directory', async t => {
  const dir = join(root, 'tested')
  const reference = join(root, 'reference')
  mkdirSync(dir)
  mkdirSync(reference)
  const cases = join(root, 'cases.yaml')
  writeFileSync(cases, USER_CASES)
  const r = conformance(dir, '--reference', reference, '--cases', cases, '--json')
  t.equal(r.code, 1, `exit 1: a case failed (stderr: ${r.err.slice(-500)})`)
  const report = JSON.parse(r.out) as ConformanceReport
  t.equal(report.cases.length, posixCases.length + 3, 'every case of the table, and the user\'s')
  const user = report.cases.filter(c => c.from === cases)
  t.same(user.map(c => [c.operation, c.expect, c.seen, c.passed]), [
    ['mkdir', 'EEXIST', 'EEXIST', true],
    ['mkdir', 'ok', 'ok', true],
    ['rmdir', 'ENOTEMPTY', 'ENOENT', false],
  ], 'the user\'s cases: expected and seen errno')
  t.equal(user[2].reference?.seen, 'ENOENT', 'the reference saw ENOENT too: the case is wrong')
  const wrong = report.cases.filter(c => !c.passed && !c.skipped && c.from === 'suite')
  const asRoot = process.getuid?.() === 0
  if (asRoot) t.same(wrong.map(c => c.name), [], 'as root on a local disk, the table passes in full')
  t.equal(report.failed, wrong.length + 1)
  t.ok(report.cases.every(c => c.skipped || c.reference), 'every case ran in the reference too')
  t.same(readdirSync(dir), [], 'each case removed its directory')
  t.same(readdirSync(reference), [])

  const people = table(report)
  t.match(people, /^operation +case +expected +seen +reference +result$/m, 'the table for people has the columns')
  t.match(people, /^rmdir +a wrong expectation +ENOTEMPTY +ENOENT +ENOENT \(fails\) +FAIL: fails with ENOTEMPTY/m, 'a failing row names both errnos')
  t.match(people, /^passed by operation: access \d+\/\d+, .*rmdir \d+\/\d+/m, 'passes counted by operation')
  t.match(people, new RegExp(`${dir}: \\d+ passed, ${report.failed} failed, \\d+ skipped; the reference ${reference} failed \\d+$`), 'and the totals')
})

t.test('a case file that does not validate: one line naming the file and the field, exit 2, nothing run', async t => {
  const dir = join(root, 'bad')
  mkdirSync(dir)
  const file = join(root, 'bad.json')
  for (const [text, want] of [
    ['[{ "name": "x", "op": ["mkdirr", "d"], "expect": "ok" }]', /^meridian: cases: .*bad\.json: cases\[0\]\.op\[0\] must be one of access, .* \(case 'x'\)\n$/],
    ['[{ "name": "x", "op": ["mkdir", "d"] }]', /^meridian: cases: .*bad\.json: cases\[0\] needs the field 'expect' \(case 'x'\)\n$/],
    ['[{ "name": "x", "op": ["mkdir", "d"], "expect": "nope" }]', /^meridian: cases: .*bad\.json: cases\[0\]\.expect must match pattern/],
    ['{ "cases": [', /^meridian: cases: .*bad\.json: not valid YAML or JSON at line 1/],
  ] as const) {
    writeFileSync(file, text)
    const r = conformance(dir, '--cases', file)
    t.equal(r.code, 2, `exit 2 for ${text}`)
    t.match(r.err, want)
    t.equal(r.out, '', 'nothing run')
  }
  const missing = conformance(join(root, 'none'))
  t.equal(missing.code, 2)
  t.match(missing.err, /^meridian: dir: .*none: ENOENT\n$/)
})
