// The pieces of lib/txn that need no store: the intent envelope and record codecs, the
// failpoint switch, and the failpoint list in docs/metadata-groups.md.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../lib/errors'
import { decodeIntent, FAILPOINTS, failpoint, isIntent, type Intent } from '../lib/txn'
import { encodeIntent } from '../lib/txn/intent'
import { decodeRecord, encodeRecord, type TxnRecord } from '../lib/txn/record'

t.test('an envelope round-trips, absent values included', async t => {
  const intent: Intent = { txid: 'x1', coordinator: 'a', record: 'txn/x1', group: 'b', key: Buffer.from([0, 255, 1]), prior: null, next: Buffer.from('{"ino":3}') }
  const v = encodeIntent(intent)
  t.ok(isIntent(v))
  t.same(decodeIntent(v), intent)
  t.same(decodeIntent(encodeIntent({ ...intent, prior: Buffer.alloc(0), next: null })), { ...intent, prior: Buffer.alloc(0), next: null })
})

t.test('what is not an envelope is never taken for one', async t => {
  const good = encodeIntent({ txid: 'x', coordinator: 'a', record: 'r', group: 'b', key: Buffer.from('k'), prior: null, next: null })
  const cases: Array<[string, Buffer | string]> = [
    ['a JSON record', '{"txid":"x"}'],
    ['a JSON array', '[3,16384]'],
    ['an empty value', ''],
    ['the magic alone', good.subarray(0, 13)],
    ['the magic and a cut body', good.subarray(0, good.length - 2)],
    ['the magic and JSON of another shape', Buffer.concat([good.subarray(0, 13), Buffer.from('{"v":1,"txid":3}')])],
    ['another version', Buffer.from(good.toString().replace('"v":1', '"v":2'))],
    ['raw bytes', Buffer.from([0, 1, 2, 3])],
  ]
  for (const [what, value] of cases) t.notOk(isIntent(value), what)
})

t.test('a record round-trips; anything else decodes to undefined', async t => {
  const r: TxnRecord = { txid: 'x', state: 'committed', deadline: 123, participants: [{ group: 'a', keys: [Buffer.from('k')], prefixes: [Buffer.from('p/')] }] }
  t.same(decodeRecord(Buffer.from(encodeRecord(r))), r)
  t.equal(decodeRecord(Buffer.from('{"v":1,"state":"maybe"}')), undefined)
  t.equal(decodeRecord(Buffer.from('not json')), undefined)
})

t.test('failpoints: off by default, delay pauses, a bad spec is one clear error', async t => {
  delete process.env.MERIDIAN_FAILPOINTS
  await failpoint(FAILPOINTS.afterCommit)
  process.env.MERIDIAN_FAILPOINTS = `${FAILPOINTS.afterRecord}=delay:20, other=crash`
  t.teardown(() => { delete process.env.MERIDIAN_FAILPOINTS })
  const start = Date.now()
  await failpoint(FAILPOINTS.afterRecord)
  t.ok(Date.now() - start >= 15, 'paused at the named failpoint')
  await failpoint(FAILPOINTS.afterCommit) // not named: nothing happens
  for (const bad of ['x=boom', 'x', '=crash', 'x=delay:soon']) {
    process.env.MERIDIAN_FAILPOINTS = bad
    await t.rejects(failpoint('x'), ConfigError, `'${bad}' is refused`)
  }
})

t.test('docs/metadata-groups.md lists every failpoint', async t => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'metadata-groups.md'), 'utf8')
  const names = Object.values(FAILPOINTS).map(f => (typeof f === 'string' ? f : f('<group>')))
  for (const name of names) t.ok(doc.includes('`' + name + '`'), name)
})
