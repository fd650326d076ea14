import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const home = mkdtempSync(join(tmpdir(), 'meridian-home-'))
t.teardown(() => rmSync(home, { recursive: true, force: true }))

function meridian(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, MERIDIAN_HOME: home }, encoding: 'utf8' })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

t.test('--version and --help', async t => {
  const v = meridian('--version')
  t.equal(v.code, 0)
  t.match(v.out, /^\d+\.\d+\.\d+\n$/)
  const h = meridian('--help')
  t.equal(h.code, 0)
  t.match(h.out, /status/)
})

t.test('status with no store: one line, and no store is created', async t => {
  const s = meridian('status', '--json')
  t.equal(s.code, 2, s.err)
  t.match(s.err, /^meridian: meta: no metadata store at .*meta\.db\n$/)
  t.notOk(existsSync(join(home, 'meta.db')), 'no file made')
})

t.test('bad input: one line naming the field, non-zero exit', async t => {
  const cases = [
    { args: ['status', '--meta', 'foo://x'], re: /^meridian: meta: unknown metadata engine/ },
    { args: ['status', '--meta', 'etcd://nohost'], re: /^meridian: meta: .* is not etcd:\/\/host:port/ },
    { args: ['status', '--bogus'], re: /unknown option '--bogus'/ },
  ]
  for (const c of cases) {
    const r = meridian(...c.args)
    t.not(r.code, 0, c.args.join(' '))
    t.match(r.err, c.re)
    t.equal(r.err.trim().split('\n')[0].length > 0, true)
  }
  const r = meridian('status', '--meta', 'etcd://127.0.0.1:1')
  t.equal(r.code, 1)
  t.match(r.err, /^meridian: etcd http:\/\/127\.0\.0\.1:1 did not answer within 5000 ms/)
  t.equal(r.err.trim().split('\n').length, 1, 'one line')
})
