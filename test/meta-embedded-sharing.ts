// One process owns an embedded store and writes it; others read it beside the owner (status,
// info and the web page beside a mount) and are refused every write.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, MetaError } from '../lib/errors'
import { EmbeddedStore } from '../lib/meta/embedded'

// The owner: commits one key after another and says when it has begun.
const OWNER = `
const { EmbeddedStore } = require(${JSON.stringify(join(__dirname, '../lib/meta/embedded'))})
EmbeddedStore.open({ path: process.argv[1] }).then(store => {
  let n = 0
  const tick = () => store.txn([], [{ type: 'put', key: 'n', value: String(++n) }, { type: 'put', key: 'm', value: String(n) }])
    .then(() => { if (n === 5) console.log('owning'); setTimeout(tick, 1) })
  tick()
})
`

function code(err: unknown): string | undefined {
  return err instanceof MetaError ? err.code : undefined
}

t.test('a reader beside the owner: current reads, consistent pairs, every write refused', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-sharing-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'meta.db')
  const owner = spawn(process.execPath, ['-e', OWNER, path], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { owner.kill('SIGKILL') })
  await new Promise<void>(done => owner.stdout.on('data', (b: Buffer) => { if (b.toString().includes('owning')) done() }))

  await t.rejects(EmbeddedStore.open({ path }), { code: 'ELOCKED' }, 'a second owner is refused while the first lives')

  const reader = await EmbeddedStore.open({ path, readOnly: true })
  t.teardown(() => reader.close())
  const first = await reader.get('n')
  await new Promise(done => setTimeout(done, 100))
  const later = await reader.get('n')
  t.ok(later.revision > first.revision, `the reader sees the owner's commits as they land (revision ${first.revision} then ${later.revision})`)
  for (let i = 0; i < 50; i++) {
    const { kvs } = await reader.getMany(['n', 'm'])
    if (kvs[0]?.value.toString() !== kvs[1]?.value.toString()) t.fail(`getMany read two snapshots: ${kvs.map(kv => kv?.value.toString())}`)
    const range = await reader.range('')
    if (range.kvs[0].value.toString() !== range.kvs[1].value.toString()) t.fail('range read two snapshots')
  }
  t.pass('getMany and range each read one snapshot, however the owner commits between them')
  t.same((await reader.txn([], [{ type: 'get', key: 'n' }])).results.length, 1, 'a transaction that only reads is served')

  const refused: Array<[string, () => Promise<unknown>]> = [
    ['txn put', () => reader.txn([], [{ type: 'put', key: 'x', value: '1' }])],
    ['txn delete in the failure branch', () => reader.txn([], [], [{ type: 'delete', key: 'n' }])],
    ['grant', () => reader.grant(5)],
    ['keepAlive', () => reader.keepAlive(1)],
    ['revoke', () => reader.revoke(1)],
    ['compact', () => reader.compact(1)],
    ['watch', () => reader.watch('', { onEvents: () => undefined, onError: () => undefined })],
  ]
  for (const [what, call] of refused) {
    const err = await call().then(() => undefined, (e: unknown) => e)
    t.equal(code(err), 'EREADONLY', `${what}: refused (${(err as Error | undefined)?.message})`)
  }

  owner.kill('SIGKILL')
  await new Promise(done => owner.on('exit', done))
  const next = await EmbeddedStore.open({ path })
  t.teardown(() => next.close())
  t.pass('once the owner dies its lock goes with it: a new owner opens the store')
  t.equal((await next.get('n')).kv?.value.toString(), (await reader.get('n')).kv?.value.toString(), 'and the reader still reads, the same state')
})

t.test('a reader with no owner, and a reader of nothing', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-sharing-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'meta.db')
  const made = await EmbeddedStore.open({ path })
  await made.txn([], [{ type: 'put', key: 'k', value: 'v' }])
  await made.close()
  const reader = await EmbeddedStore.open({ path, readOnly: true })
  t.equal((await reader.get('k')).kv?.value.toString(), 'v', 'a closed store reads')
  await reader.close()

  const missing = join(dir, 'none', 'meta.db')
  await t.rejects(EmbeddedStore.open({ path: missing, readOnly: true }), ConfigError, 'a store that is not there is a ConfigError')
  t.notOk(existsSync(join(dir, 'none')), 'and nothing was created for it')
})
