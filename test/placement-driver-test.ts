// meridian driver-test: the whole driver contract from the command line, against the example
// driver loaded by path (passes), a deliberately broken one (fails, naming the cases), and
// the built-in local driver; --json; a module that does not load is one line and exit 2.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const fixture = (name: string) => join(__dirname, '..', 'fixtures', name)

function meridian(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, [bin, ...args], { timeout: 120_000 }, (err, out, errOut) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out, err: errOut })
    })
  })
}

function scratch(t: tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-driver-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('the example driver loaded by path passes every case', async t => {
  const r = await meridian('driver-test', fixture('example-driver.js'), '--opt', `dir=${scratch(t)}`)
  t.equal(r.code, 0, r.err)
  t.match(r.out, /^driver 'example-flat' from /)
  t.match(r.out, /pass {2}get reads a byte range/)
  t.match(r.out, /passed: all 14 cases/)
  t.notMatch(r.out, /FAIL/)
})

t.test('a broken driver fails the cases it breaks, and the command exits 1', async t => {
  const r = await meridian('driver-test', fixture('broken-driver.js'), '--opt', `dir=${scratch(t)}`, '--json')
  t.equal(r.code, 1, r.err)
  const report = JSON.parse(r.out) as { ok: boolean; driver: string; cases: Array<{ name: string; ok: boolean; failures: string[] }> }
  t.equal(report.ok, false)
  t.equal(report.driver, 'broken-flat')
  const failed = report.cases.filter(c => !c.ok).map(c => c.name)
  t.ok(failed.includes('get reads a byte range'), 'ranges ignored')
  t.ok(failed.includes('has and delete; delete is idempotent'), 'delete does nothing')
  t.ok(failed.includes('ids that are not blob ids are refused with EINVAL'), 'delete of a bad id is not refused')
  t.ok(report.cases.find(c => c.name === 'get reads a byte range')!.failures.some(f => /start: got 1000 bytes, want 10/.test(f)), 'the failing check is named')
  t.ok(report.cases.some(c => c.ok), 'the cases it does not break pass')
})

t.test('a built-in driver by name', async t => {
  const r = await meridian('driver-test', 'local', '--opt', `path=${scratch(t)}`)
  t.equal(r.code, 0, r.err)
  t.match(r.out, /passed: all 14 cases/)
})

t.test('a module that does not load: one line, exit 2', async t => {
  const r = await meridian('driver-test', './no-such-driver.js')
  t.equal(r.code, 2)
  t.equal(r.out, '')
  t.match(r.err, /^meridian: driver: cannot load driver module '\.\/no-such-driver\.js' \(MODULE_NOT_FOUND\)\n$/)
})
