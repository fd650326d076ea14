import t from 'tap'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPool } from '../drivers'
import { runCli, type CliRun } from '../fixtures/cli-process'
import { startS3 } from '../fixtures/s3-server'

const example = join(__dirname, '..', 'fixtures', 'example-driver.js')
const home = mkdtempSync(join(tmpdir(), 'meridian-home-'))
t.teardown(() => rmSync(home, { recursive: true, force: true }))

type Run = CliRun
/** every output of every command, grepped for the secret at the end */
const outputs: string[] = []
let env: NodeJS.ProcessEnv = { ...process.env, MERIDIAN_HOME: home }

async function meridian(...args: string[]): Promise<Run> {
  const r = await runCli(args, env)
  outputs.push(r.out, r.err)
  return r
}

async function ok(t: tap.Test, ...args: string[]): Promise<string> {
  const r = await meridian(...args)
  t.equal(r.code, 0, `${args.join(' ')}: ${r.err}`)
  return r.out
}

const json = async (t: tap.Test, ...args: string[]) => JSON.parse(await ok(t, ...args, '--json'))

/** config is the stored pool map and policies, for "changes nothing" */
async function config(t: tap.Test): Promise<unknown> {
  const pools = (await json(t, 'pool', 'ls')).pools.map((p: Record<string, unknown>) => [p.name, p.site, p.weight, p.state, p.config])
  return { pools, policies: await json(t, 'policy', 'export') }
}

t.test('pools and policies through the command line', async t => {
  const s3 = await startS3(t)
  env = { ...env, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey }
  await ok(t, 'format', '--pool', `eu1=local:${home}/eu1`, '--pool', `eu2=local:${home}/eu2`)

  t.test('add pools of every kind of driver', async t => {
    const local = await json(t, 'pool', 'add', 'us1', '--driver', 'local', '--site', 'us', '--path', `${home}/us1`, '--weight', '2')
    t.match(local, { name: 'us1', site: 'us', weight: 2, state: 'active', config: { driver: 'local' } })
    await ok(t, 'pool', 'add', 'us-s3', '--driver', 's3', '--site', 'us', '--opt', `endpoint=${s3.endpoint}`, '--opt', `bucket=${s3.bucket}`, '--opt', 'pathStyle=true', '--opt', 'prefix=us/')
    await ok(t, 'pool', 'add', 'vendor', '--driver', example, '--site', 'eu', '--opt', `dir=${home}/vendor`)
    const ls = await json(t, 'pool', 'ls')
    t.same(ls.pools.map((p: { name: string; reachable: boolean }) => [p.name, p.reachable]), [['eu1', true], ['eu2', true], ['us-s3', true], ['us1', true], ['vendor', true]])
    t.equal(ls.epoch, 3)
    t.match(await ok(t, 'pool', 'ls'), /us-s3 +us +s3 +1 +active +yes +0 +0 B +http:\/\/127\.0\.0\.1:\d+\/meridian-test\/us\//)
  })

  t.test('pool ls counts the blobs and bytes each pool holds', async t => {
    const data = Buffer.alloc(3000, 7)
    const id = 'sha256-' + createHash('sha256').update(data).digest('hex')
    // this process opens the s3 pool too: the SDK takes its credentials from the environment
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY }
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey })
    t.teardown(() => {
      for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    })
    const pools = [
      await openPool({ driver: 'local', path: `${home}/eu2` }),
      await openPool({ driver: 's3', endpoint: s3.endpoint, bucket: s3.bucket, pathStyle: true, prefix: 'us/' }),
    ]
    for (const p of pools) {
      t.teardown(() => p.close())
      t.teardown(() => p.delete(id))
      await p.put(id, data)
    }
    const held = (await json(t, 'pool', 'ls')).pools.map((p: { name: string; blobs: number; bytes: number | null }) => [p.name, p.blobs, p.bytes])
    t.same(held, [['eu1', 0, 0], ['eu2', 1, 3000], ['us-s3', 1, 3000], ['us1', 0, 0], ['vendor', 0, null]], 'the example driver lists no sizes')
    t.match(await ok(t, 'pool', 'ls'), /eu2 +default +local +1 +active +yes +1 +2\.9 KiB /)
  })

  t.test('pool test runs the non-destructive contract on a live pool', async t => {
    for (const name of ['eu1', 'us-s3', 'vendor']) {
      const r = await json(t, 'pool', 'test', name)
      t.equal(r.ok, true, `${name}: ${JSON.stringify(r.checks.filter((c: { ok: boolean }) => !c.ok))}`)
    }
    t.equal((await json(t, 'pool', 'ls')).pools.find((p: { name: string }) => p.name === 'us-s3').blobs, 0, 'the probe is gone')
  })

  t.test('policies: set, get, ls, rm, export and apply', async t => {
    t.match(await json(t, 'policy', 'set', '/eu', '--replicas', '2', '--sites', 'default,eu', '--sync', '1'), { path: '/eu', policy: { replicas: 2, sync: 1, spread: 'pool', sites: ['default', 'eu'] } })
    await ok(t, 'policy', 'set', '/', '--replicas', '2', '--spread', 'site')
    t.match(await json(t, 'policy', 'get', '/eu/projects/x'), { path: '/eu/projects/x', from: '/eu', policy: { replicas: 2 } })
    t.match(await json(t, 'policy', 'get', '/europe'), { from: '/', policy: { spread: 'site' } })
    t.match(await ok(t, 'policy', 'get', '/eu/a'), /^\/eu\/a: from \/eu: 2 replica\(s\), 1 durable at close, one per pool, sites default,eu\n$/)
    const exported = await ok(t, 'policy', 'export')
    writeFileSync(join(home, 'policies.yaml'), exported)
    await ok(t, 'policy', 'rm', '/eu')
    t.same((await json(t, 'policy', 'ls')).policies.map((p: { path: string }) => p.path), ['/'])
    await ok(t, 'policy', 'apply', '-f', join(home, 'policies.yaml'))
    t.equal(await ok(t, 'policy', 'export'), exported, 'apply of an export restores it')
  })

  t.test('pool rm is refused while a pool holds the only copy of a blob', async t => {
    const data = Buffer.from('only in vendor')
    const id = 'sha256-' + createHash('sha256').update(data).digest('hex')
    const vendor = await openPool({ driver: 'example-flat', module: example, dir: `${home}/vendor` })
    t.teardown(() => vendor.close())
    await vendor.put(id, data)
    const r = await meridian('pool', 'rm', 'vendor')
    t.not(r.code, 0)
    t.match(r.err, new RegExp(`^meridian: name: pool 'vendor' holds the only copy of 1 blob\\(s\\) \\(e\\.g\\. ${id}\\)`))
    const eu2 = await openPool({ driver: 'local', path: `${home}/eu2` })
    t.teardown(() => eu2.close())
    await eu2.put(id, data)
    await ok(t, 'pool', 'drain', 'vendor')
    t.equal((await json(t, 'pool', 'ls')).pools.find((p: { name: string }) => p.name === 'vendor').state, 'draining')
    const needed = await meridian('pool', 'rm', 'vendor')
    t.match(needed.err, /^meridian: policy \/eu: sites: no pool is in site 'eu'/, 'refused while a policy names its site')
    await ok(t, 'policy', 'set', '/eu', '--replicas', '2', '--sites', 'default')
    await ok(t, 'pool', 'rm', 'vendor')
    t.notOk((await json(t, 'pool', 'ls')).pools.some((p: { name: string }) => p.name === 'vendor'))
  })

  t.test('driver-test runs the whole contract against the s3 driver on the real S3 server', async t => {
    const out = await ok(t, 'driver-test', 's3', '--opt', `endpoint=${s3.endpoint}`, '--opt', `bucket=${s3.bucket}`, '--opt', 'pathStyle=true', '--opt', 'prefix=driver-test/')
    t.match(out, /^driver 's3' from s3\n/)
    t.match(out, /passed: all 14 cases/)
  })

  t.test('bad input: one line naming the field, a non-zero exit, nothing changed', async t => {
    writeFileSync(join(home, 'bad.yaml'), 'policies: {/: {replicas: 2}\n')
    writeFileSync(join(home, 'bad-field.yaml'), 'policies:\n  /x: {replicas: 2, spread: rack}\n')
    writeFileSync(join(home, 'impossible.yaml'), 'policies:\n  /x: {replicas: 5}\n')
    const cases: Array<[string[], RegExp]> = [
      [['pool', 'add', 'x', '--driver', 'local', '--site', 'eu'], /^meridian: pool x: path: must be a directory path$/],
      [['pool', 'add', 'x', '--driver', 'tape', '--site', 'eu'], /^meridian: driver: cannot load driver module 'tape'/],
      [['pool', 'add', 'x', '--driver', 'local', '--site', 'e u', '--path', `${home}/x`], /^meridian: site: /],
      [['pool', 'add', 'x', '--driver', 'local', '--site', 'eu', '--path', `${home}/x`, '--weight', '0'], /^meridian: weight: '0' must be a number above 0$/],
      [['pool', 'add', 'eu1', '--driver', 'local', '--site', 'eu', '--path', `${home}/x`], /^meridian: name: pool 'eu1' exists already$/],
      [['pool', 'add', 'x', '--driver', 's3', '--site', 'us'], /^meridian: pool x: bucket: must be a bucket name/],
      [['pool', 'add', 'x', '--driver', 's3', '--site', 'us', '--opt', 'bucket=meridian-test', '--opt', 'colour=red'], /^meridian: pool x: colour: unknown s3 pool option/],
      [['pool', 'add', 'x', '--driver', 's3', '--site', 'us', '--opt', 'bucket=meridian-test', '--opt', 'endpoint=http://127.0.0.1:1', '--opt', 'maxAttempts=1'], /^meridian: pool x: endpoint: .*unreachable \(ECONNREFUSED\)$/],
      [['pool', 'add', 'x', '--driver', 's3', '--site', 'us', '--opt', 'bucket=no-such-bucket', '--opt', `endpoint=${s3.endpoint}`, '--opt', 'pathStyle=true'], /^meridian: pool x: bucket: /],
      [['pool', 'add', 'x', '--driver', 's3', '--site', 'us', '--opt', 'bucket=meridian-test', '--opt', `secretAccessKey=${s3.secretAccessKey}`], /^meridian: pool x: secretAccessKey: credentials never go in a pool definition/],
      [['pool', 'rm', 'nope'], /^meridian: name: no pool 'nope' \(pools: /],
      [['pool', 'drain', 'nope'], /^meridian: name: no pool 'nope'/],
      [['policy', 'set', '/', '--replicas', '3', '--spread', 'site'], /^meridian: policy \/: replicas: 3 copies spread by site need 3 sites, but only 2 sites take copies under this policy \(default, us\)$/],
      [['pool', 'test', 'nope'], /^meridian: name: no pool 'nope'/],
      [['policy', 'set', '/x', '--replicas', '3', '--spread', 'site'], /^meridian: policy \/x: replicas: 3 copies spread by site need 3 sites/],
      [['policy', 'set', '/x', '--replicas', '1', '--sites', 'mars'], /^meridian: policy \/x: sites: no pool is in site 'mars'/],
      [['policy', 'set', '/x', '--replicas', '1', '--pools', 'nope'], /^meridian: policy \/x: pools: unknown pool 'nope'/],
      [['policy', 'set', '/x', '--replicas', 'two'], /^meridian: replicas: 'two' must be a whole number$/],
      [['policy', 'set', '/x', '--replicas', '2', '--spread', 'rack'], /^meridian: spread: must be one of site, pool$/],
      [['policy', 'set', '/x', '--replicas', '2', '--sync', '3'], /^meridian: policy \/x: sync: 3 copies cannot be durable/],
      [['policy', 'set', 'x', '--replicas', '1'], /^meridian: path: 'x' must be an absolute path/],
      [['policy', 'rm', '/'], /^meridian: path: the root '\/' always has a policy/],
      [['policy', 'rm', '/nothing'], /^meridian: path: no policy is set at \/nothing/],
      [['policy', 'apply', '-f', join(home, 'bad.yaml')], /^meridian: file: not valid YAML at line 2, column 1: Flow map/],
      [['policy', 'apply', '-f', join(home, 'bad-field.yaml')], /^meridian: policies\.\/x\.spread: must be one of site, pool$/],
      [['policy', 'apply', '-f', join(home, 'impossible.yaml')], /^meridian: policy \/x: replicas: 5 copies/],
      [['policy', 'apply', '-f', join(home, 'missing.yaml')], /^meridian: file: cannot read .* \(ENOENT\)$/],
      [['policy', 'get', '/', '--name', 'other'], /^meridian: name: no filesystem 'other'/],
      [['driver-test', 'tape'], /^meridian: driver: cannot load driver module 'tape'/],
      [['driver-test', 'local', '--opt', 'path'], /^meridian: opt: 'path' is not key=value$/],
    ]
    const before = await config(t)
    for (const [args, message] of cases) {
      const r = await meridian(...args)
      t.not(r.code, 0, `${args.join(' ')} exits non-zero`)
      t.match(r.err.trimEnd(), message, args.join(' '))
      t.equal(r.err.trimEnd().split('\n').length, 1, `one line: ${r.err}`)
    }
    t.same(await config(t), before, 'nothing changed')
  })

  t.test('no output of any command shows the secret key', async t => {
    t.ok(outputs.length > 60, `${outputs.length} outputs`)
    t.equal(outputs.filter(o => o.includes(s3.secretAccessKey)).length, 0)
  })
})
