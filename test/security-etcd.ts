// etcd over TLS with client certificates and user/password authentication (issue 13 item 6),
// on a real etcd started with both (fixtures/etcd-cluster.ts, certificates from openssl), and
// the password nowhere it could leak: not in the output of format, status, pool ls, group ls
// (people's or --json), not in any error, not in the mount's log or its process listing, not in
// an inspect() of the store. Passwords come from a file or MERIDIAN_ETCD_PASSWORD, never argv.
import t from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect, promisify } from 'node:util'
import { startEtcd } from '../fixtures/etcd-cluster'
import { makeCerts } from '../fixtures/tls-certs'
import { openStore } from '../lib/meta'
import { PASSWORD_ENV } from '../lib/meta/etcd-url'

const bin = join(__dirname, '..', 'bin', 'meridian.js')
const dir = mkdtempSync(join(tmpdir(), 'meridian-security-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const home = join(dir, 'home')
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`
const passwordFile = join(dir, 'etcd-password')
writeFileSync(passwordFile, PASSWORD + '\n')
chmodSync(passwordFile, 0o600)

/** everything a command printed, to grep for the secret */
const seen: string[] = []

async function meridian(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, MERIDIAN_HOME: home, ...env }, encoding: 'utf8' })
    .then(({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }))
    .catch((e: { code?: number; stdout?: string; stderr?: string }) => ({ code: Number(e.code ?? 1), out: e.stdout ?? '', err: e.stderr ?? '' }))
  seen.push(`meridian ${args.join(' ')}`, r.out, r.err)
  return r
}

t.test('etcds:// with a client certificate and a password', async t => {
  const tls = await makeCerts(dir)
  const cluster = await startEtcd(t, { tls })
  await cluster.enableAuth(PASSWORD)
  // a host name, as certificates name hosts (node warns on every connection to an IP over TLS)
  const hostPort = cluster.endpoints[0].replace('https://127.0.0.1', 'localhost')
  const base = `etcds://${hostPort}?ca=${tls.ca}&cert=${tls.clientCert}&key=${tls.clientKey}&user=root`
  const url = `${base}&password-file=${passwordFile}`

  const store = await openStore(url, { deadlineMs: 10_000 })
  t.teardown(() => store.close())
  await store.txn([], [{ type: 'put', key: 'sec/probe', value: 'ok' }])
  t.equal((await store.get('sec/probe')).kv?.value.toString(), 'ok', 'a write and a read over TLS, authenticated')
  t.notMatch(inspect(store, { depth: 8 }), PASSWORD, 'inspect() of the store shows no password')
  t.notMatch(JSON.stringify(store), PASSWORD, 'nor does its JSON')

  const noFile = {}
  t.equal((await meridian(noFile, 'format', '--meta', url, '--name', 'sec', '--pool', `p=local:${join(dir, 'pool')}`)).code, 0, 'format over etcds://')
  for (const json of [[], ['--json']]) {
    t.equal((await meridian(noFile, 'status', '--meta', url, '--name', 'sec', ...json)).code, 0, `status ${json.join('')}`)
    t.equal((await meridian(noFile, 'pool', 'ls', '--meta', url, '--name', 'sec', ...json)).code, 0, `pool ls ${json.join('')}`)
  }
  t.equal((await meridian(noFile, 'group', 'ls', '--meta', url, '--name', 'sec', '--json')).code, 0, 'group ls --json')
  const fromEnv = await meridian({ [PASSWORD_ENV]: PASSWORD }, 'status', '--meta', base, '--name', 'sec', '--json')
  t.equal(fromEnv.code, 0, `the password from ${PASSWORD_ENV}`)

  // what goes wrong says what, and never shows the password
  const refusals: Array<[string, string, RegExp]> = [
    ['a wrong password', `${base}&password-file=${writeFileAt('wrong', 'not-the-password')}`, /^meridian: etcd: .*authentication failed, invalid user ID or password/],
    ['no password anywhere', base, new RegExp(`^meridian: meta: user= needs a password: name a password-file=PATH or set ${PASSWORD_ENV}`)],
    ['a password in the URL', `${base}&password=${PASSWORD}`, /^meridian: meta: a password never goes in the URL/],
    ['a missing password file', `${base}&password-file=${join(dir, 'nope')}`, /^meridian: meta: cannot read the password-file .*nope \(ENOENT\)/],
    ['a certificate without its key', `etcds://${hostPort}?ca=${tls.ca}&cert=${tls.clientCert}&user=root&password-file=${passwordFile}`, /^meridian: meta: a client certificate needs both cert=PATH and key=PATH/],
    ['no client certificate', `etcds://${hostPort}?ca=${tls.ca}&user=root&password-file=${passwordFile}`, /^meridian: etcd https:\/\/localhost:\d+ did not answer within \d+ ms.*bad certificate/],
    ['plain gRPC to a TLS member', `etcd://${hostPort}?user=root&password-file=${passwordFile}`, /^meridian: etcd http:\/\/localhost:\d+ did not answer within \d+ ms/],
    ['TLS options on etcd://', `etcd://${hostPort}?ca=${tls.ca}`, /^meridian: meta: ca, cert and key are TLS options: use etcds:\/\//],
  ]
  for (const [what, bad, error] of refusals) {
    const r = await meridian({}, 'status', '--meta', bad, '--json')
    // the one argv that holds the password is the mistaken URL itself: its error must not repeat it
    if (bad.includes(PASSWORD)) seen.splice(-3, 1)
    t.ok(r.code !== 0 && r.out === '' && error.test(r.err) && r.err.trim().split('\n').length === 1, `${what}: one line, non-zero exit`, { stderr: r.err })
  }

  // a mount in the background: its argv and its log
  const mnt = join(dir, 'mnt')
  const mounted = await meridian({}, 'mount', mnt, '--meta', url, '--name', 'sec', '--background', '--json')
  t.equal(mounted.code, 0, 'a background mount over etcds://', { stderr: mounted.err })
  if (mounted.code === 0) {
    const { pid } = JSON.parse(mounted.out) as { pid: number }
    t.teardown(() => meridian({}, 'umount', mnt))
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
    t.match(cmdline, /mount/, 'the mount process is found')
    seen.push(cmdline)
    writeFileSync(join(mnt, 'f'), 'data')
    t.equal(readFileSync(join(mnt, 'f'), 'utf8'), 'data', 'a file written and read through the mount')
    t.equal((await meridian({}, 'umount', mnt)).code, 0, 'unmounted')
    seen.push(readFileSync(join(home, 'mount.log'), 'utf8'))
  }
  for (const [n, text] of seen.entries()) if (text.includes(PASSWORD)) t.fail(`the password shows in ${seen[n - (n % 3)] ?? 'output'}: ${text.slice(0, 200)}`)
  t.notOk(seen.some(s => s.includes(PASSWORD)), `the password is in none of the ${seen.length} outputs, argv and logs`)
  for (const tail of ['format', 'status']) t.ok(seen.some(s => s.startsWith(`meridian ${tail}`)), `${tail} ran`)
})

function writeFileAt(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}
