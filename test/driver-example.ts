import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadDriver, openPool } from '../drivers'
import { driverContract } from '../fixtures/driver-contract'

const modulePath = path.join(__dirname, '..', 'fixtures', 'example-driver.js')

t.test('a third-party driver loaded by path registers its name and passes the contract', async t => {
  t.same(loadDriver(modulePath), ['example-flat'])
  const dir = await mkdtemp(path.join(tmpdir(), 'meridian-example-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  driverContract(t, 'example-flat', () => openPool({ driver: 'example-flat', dir }))
})

t.test('a pool that names its module loads the driver when opened', async t => {
  const dir = await mkdtemp(path.join(tmpdir(), 'meridian-example-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const pool = await openPool({ driver: 'example-flat', module: modulePath, dir })
  t.teardown(() => pool.close())
  t.equal(pool.driver, 'example-flat')
})

t.test('a module that is not a driver is refused naming the field', async t => {
  t.throws(() => loadDriver(path.join(__dirname, 'no-such-driver.js')), { name: 'ConfigError', field: 'driver' })
  t.throws(() => loadDriver('node:path'), { name: 'ConfigError', field: 'driver', message: /exports no register/ })
})
