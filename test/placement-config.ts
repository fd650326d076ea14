import t from 'tap'
import { Filesystem } from '../lib/fs/filesystem'
import { PlacementStore } from '../lib/placement/placement-config'
import { embedded, etcdSingle } from '../fixtures/meta-engines'

const pools = { a: { driver: 'local', path: '/srv/a' }, b: { driver: 'local', path: '/srv/b' } }

for (const engine of [embedded, etcdSingle]) {
  t.test(`placement config on ${engine.name}`, async t => {
    const { store } = await engine.start(t)

    t.test('before any change: format\'s pools and copies, epoch 0', async t => {
      await Filesystem.format(store, { name: 'init', pools, copies: 2 })
      const config = await new PlacementStore(store, 'init').load()
      t.equal(config.epoch, 0)
      t.same(config.pools.map(p => [p.name, p.site, p.weight, p.state, p.config.path]), [['a', 'default', 1, 'active', '/srv/a'], ['b', 'default', 1, 'active', '/srv/b']])
      t.same(config.rules, [{ path: '/', policy: { replicas: 2, sync: 2, spread: 'pool' } }])
    })

    t.test('a change is stored whole with the next epoch', async t => {
      await Filesystem.format(store, { name: 'change', pools })
      const placement = new PlacementStore(store, 'change')
      await placement.update(c => ({ ...c, pools: [...c.pools, { name: 'c', site: 'us', weight: 2, state: 'active', config: { driver: 'local', path: '/srv/c' } }] }))
      const next = await placement.update(c => ({ ...c, rules: [...c.rules, { path: '/eu', policy: { replicas: 2, sync: 1, spread: 'site' } }] }))
      t.equal(next.epoch, 2)
      const loaded = await new PlacementStore(store, 'change').load()
      t.same(loaded, next, 'what another reader loads')
      t.same(loaded.pools.map(p => p.name), ['a', 'b', 'c'])
    })

    t.test('concurrent changes are serialised by the epoch: none is lost', async t => {
      await Filesystem.format(store, { name: 'race', pools })
      const placement = new PlacementStore(store, 'race')
      await Promise.all(['/p1', '/p2', '/p3', '/p4'].map(path =>
        placement.update(c => ({ ...c, rules: [...c.rules, { path, policy: { replicas: 1, sync: 1, spread: 'pool' } }] }))))
      const config = await placement.load()
      t.equal(config.epoch, 4)
      t.same(config.rules.map(r => r.path).sort(), ['/', '/p1', '/p2', '/p3', '/p4'])
    })

    t.test('an unsatisfiable change is refused and changes nothing', async t => {
      await Filesystem.format(store, { name: 'refuse', pools, copies: 2 })
      const placement = new PlacementStore(store, 'refuse')
      await placement.update(c => c)
      const before = await store.range('fs/refuse/placement/')
      await t.rejects(placement.update(c => ({ ...c, rules: [...c.rules, { path: '/x', policy: { replicas: 3, sync: 1, spread: 'pool' } }] })),
        { name: 'ConfigError', field: 'policy /x', message: /replicas: 3 copies .* only 2 pools/ })
      await t.rejects(placement.update(c => ({ ...c, pools: c.pools.slice(1) })), { name: 'ConfigError', field: 'policy /' }, 'dropping a pool the root policy needs')
      await t.rejects(placement.update(c => ({ ...c, rules: c.rules.filter(r => r.path !== '/') })), { name: 'ConfigError', field: 'path' })
      const after = await store.range('fs/refuse/placement/')
      t.same(after.kvs.map(kv => [kv.key.toString(), kv.modRevision]), before.kvs.map(kv => [kv.key.toString(), kv.modRevision]))
    })

    t.test('an unformatted filesystem is a config error', async t => {
      await t.rejects(new PlacementStore(store, 'nope').load(), { name: 'ConfigError', field: 'name' })
    })
  })
}
