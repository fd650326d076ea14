import t from 'tap'
import { FsError } from '../lib/errors'
import { VectorClock } from '../lib/causal'

t.test('entries only rise; absent groups are 0', async t => {
  const c = new VectorClock()
  t.equal(c.get('us'), 0)
  t.equal(c.observe('us', 10), true)
  t.equal(c.observe('us', 7), false)
  t.equal(c.observe('us', 10), false)
  t.equal(c.get('us'), 10)
  t.same(c.groups(), ['us'])
})

t.test('merge takes the higher entry of each group; covers compares every group', async t => {
  const a = new VectorClock({ us: 5, eu: 9 })
  const b = new VectorClock({ us: 7, asia: 1 })
  t.notOk(a.covers(b))
  t.notOk(b.covers(a))
  const m = a.clone().merge(b)
  t.same(m.toJSON(), { asia: 1, eu: 9, us: 7 })
  t.ok(m.covers(a) && m.covers(b))
  t.same(a.toJSON(), { eu: 9, us: 5 }, 'clone leaves the original alone')
  t.ok(a.covers(new VectorClock()), 'every clock covers the empty one')
  t.ok(new VectorClock({ us: 3 }).covers(new VectorClock({ us: 3 })))
})

t.test('the token is compact, printable, sorted, and decodes to the same clock', async t => {
  const c = new VectorClock({ us: 123456789, eu: 35, 'site-2.a_b': 2 ** 53 - 1 })
  const token = c.encode()
  t.equal(token, 'c1:eu=z,site-2.a_b=2gosa7pa2gv,us=21i3v9')
  t.match(token, /^[\x21-\x7e]+$/)
  t.same(VectorClock.decode(token).toJSON(), c.toJSON())
  t.equal(new VectorClock().encode(), 'c1:')
  t.same(VectorClock.decode('c1:').toJSON(), {})
})

const badTokens = [
  '', 'c1', 'c2:us=1', 'us=1', 'c1:us', 'c1:us=', 'c1:=5', 'c1:us=1,', 'c1:us=1,us=2', 'c1:u s=1',
  'c1:us=-1', 'c1:us=1.5', 'c1:us=ZZ', 'c1:us=zzzzzzzzzzz', `c1:${'g'.repeat(65)}=1`,
]
for (const token of badTokens) {
  t.test(`decode refuses ${JSON.stringify(token)} with EINVAL`, async t => {
    t.throws(() => VectorClock.decode(token), new FsError('EINVAL', `'${token}' is not a clock token (expected c1:group=revision,...)`))
  })
}

t.test('bad group ids and revisions are EINVAL', async t => {
  const c = new VectorClock()
  for (const [group, rev] of [['', 1], ['a=b', 1], ['a,b', 1], ['us', -1], ['us', 1.5], ['us', 2 ** 53]] as const) {
    t.throws(() => c.observe(group, rev), { code: 'EINVAL' }, `${group} ${rev}`)
  }
})
