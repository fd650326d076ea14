// Blob ids can never address outside their pool (issue 13 item 6): every hostile id of the
// driver contract (fixtures/driver-contract.ts runs them against each driver: local, s3, the
// example) and a few aimed at a local pool's neighbours are refused with EINVAL by every call,
// through the drivers that wrap others too (the fault driver), and nothing outside the pool's
// directory is read, created or removed.
import t from 'tap'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { openPool } from '../drivers'
import type { PoolDriver } from '../drivers/driver'
import { register as registerFault } from '../fixtures/fault-driver'
import { registerDriver } from '../drivers/registry'

registerFault(registerDriver)

const dir = mkdtempSync(join(tmpdir(), 'meridian-ids-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const neighbour = 'sha256-' + 'a'.repeat(64)
mkdirSync(join(dir, 'outside'))
writeFileSync(join(dir, 'outside', neighbour), 'not yours')
writeFileSync(join(dir, neighbour), 'not yours either')

/** ids that aim at the files next to the pool, or at the filesystem's root */
const HOSTILE = [
  `../${neighbour}`, `../outside/${neighbour}`, `../../${neighbour}`, `/${neighbour}`, join(dir, 'outside', neighbour),
  `sha256-../../outside`, `${neighbour}/..`, `${neighbour}\0`, `./${neighbour}`, `aa/aa/${neighbour}`,
  `sha256-${'a'.repeat(64)}/../../../outside/${neighbour}`, '/etc/passwd', '../../../../../../etc/passwd',
]

function tree(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap(e => {
    const full = join(root, e.name)
    const line = `${relative(dir, full)} ${e.isFile() ? statSync(full).size : 'dir'}`
    return e.isDirectory() ? [line, ...tree(full)] : [line]
  })
}

const drivers: Array<[string, () => Promise<PoolDriver>]> = [
  ['local', () => openPool({ driver: 'local', path: join(dir, 'pool') })],
  ['local, no shard levels', () => openPool({ driver: 'local', path: join(dir, 'flat'), fanout: 0 })],
  ['fault (wrapping local)', () => openPool({ driver: 'fault', path: join(dir, 'wrapped'), control: join(dir, 'control.json') })],
]

for (const [name, open] of drivers) {
  t.test(`${name}: hostile ids are refused and reach nothing outside the pool`, async t => {
    const driver = await open()
    t.teardown(() => driver.close())
    const before = tree(dir)
    for (const id of HOSTILE) {
      const label = JSON.stringify(id)
      await t.rejects(driver.put(id, Buffer.from('escape')), { code: 'EINVAL' }, `put ${label}`)
      await t.rejects(driver.get(id), { code: 'EINVAL' }, `get ${label}`)
      await t.rejects(driver.get(id, { offset: 0, length: 1 }), { code: 'EINVAL' }, `get a range of ${label}`)
      await t.rejects(driver.has(id), { code: 'EINVAL' }, `has ${label}`)
      await t.rejects(driver.delete(id), { code: 'EINVAL' }, `delete ${label}`)
    }
    t.same(tree(dir), before, 'nothing inside or outside the pool changed')
    await t.rejects(driver.get(neighbour), { code: 'ENOENT' }, 'the id of a file next to the pool is looked up inside it only')
  })
}
