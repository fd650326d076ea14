// The pool driver contract: the cases any PoolDriver must pass unchanged, written against a
// small Checks interface so that the same cases run under tap (fixtures/driver-contract.ts)
// and from the shipped command line (`meridian driver-test MODULE`, run.ts), where no test
// framework is installed. open may return drivers over the same, non-empty pool: every case
// uses blobs with random content (so ids are unique) and deletes what it wrote in its teardown.
import { createHash, randomBytes } from 'node:crypto'
import type { PoolDriver } from '../../drivers/driver'

/** what a case reports through: a check, an expected rejection, and cleanup */
export interface Checks {
  /** ok records one check: cond must hold */
  ok(cond: boolean, what: string): void
  /** rejects records that promise rejects, with the errno code when one is given */
  rejects(promise: Promise<unknown>, what: string, code?: string): Promise<void>
  /** teardown runs fn when the case ends, the last registered first */
  teardown(fn: () => unknown): void
}

export interface ContractCase {
  name: string
  run(c: Checks, open: () => Promise<PoolDriver>): Promise<void>
}

interface Blob {
  id: string
  data: Buffer
}

const MiB = 1024 * 1024

function blobOf(data: Buffer): Blob {
  return { id: 'sha256-' + createHash('sha256').update(data).digest('hex'), data }
}

const randomBlob = (bytes: number) => blobOf(randomBytes(bytes))

const SOME_ID = randomBlob(16).id
const ESCAPING_IDS = [
  '../x',
  '/etc/passwd',
  'sha256-../../..',
  `sha256-../../${'0'.repeat(58)}`,
  SOME_ID.toUpperCase(),
  'sha256-' + SOME_ID.slice(7).toUpperCase(),
  SOME_ID.slice(0, -1),
  SOME_ID + '0',
  '',
  SOME_ID.slice(0, -1) + '\0',
  SOME_ID + '\0/../x',
  `${SOME_ID}/../../x`,
  // what a URL or a shell might decode or trim into something else
  `sha256-%2e%2e%2f${'0'.repeat(55)}`,
  `${SOME_ID}\n`,
  ` ${SOME_ID}`,
  `${SOME_ID}?x=1`,
  `${SOME_ID}#x`,
  `sha256-${'\uff10'.repeat(64)}`, // fullwidth digits
  `sha256-${'0'.repeat(63)}\u0430`, // a Cyrillic a
  '.',
  '..',
]

/** opened opens a driver for one case and closes it when the case ends */
async function opened(c: Checks, open: () => Promise<PoolDriver>): Promise<PoolDriver> {
  const driver = await open()
  c.teardown(() => driver.close())
  return driver
}

/** putBlob stores a blob and deletes it when the case ends (before the driver closes: teardowns run last first) */
async function putBlob(c: Checks, driver: PoolDriver, blob: Blob): Promise<void> {
  c.teardown(() => driver.delete(blob.id))
  await driver.put(blob.id, blob.data)
}

async function listed(driver: PoolDriver): Promise<string[]> {
  const ids: string[] = []
  for await (const id of driver.list()) ids.push(id)
  return ids
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i])

export const contractCases: ContractCase[] = [
  {
    name: 'put then get returns the same bytes',
    async run(c, open) {
      const driver = await opened(c, open)
      for (const blob of [blobOf(Buffer.alloc(0)), randomBlob(1), randomBlob(5 * MiB)]) {
        await putBlob(c, driver, blob)
        c.ok((await driver.get(blob.id)).equals(blob.data), `${blob.data.length} bytes round trip`)
      }
    },
  },
  {
    name: 'sync resolves with nothing put, after puts, and when a blob put was deleted before it',
    async run(c, open) {
      const driver = await opened(c, open)
      await driver.sync()
      const kept = randomBlob(100)
      const dropped = randomBlob(100)
      await putBlob(c, driver, kept)
      await putBlob(c, driver, dropped)
      await driver.delete(dropped.id)
      await driver.sync()
      await driver.sync()
      c.ok((await driver.get(kept.id)).equals(kept.data), 'what was put is still there')
      c.ok(!(await driver.has(dropped.id)), 'what was deleted stays deleted')
    },
  },
  {
    name: 'overlapping syncs resolve in the order they were asked for',
    async run(c, open) {
      const driver = await opened(c, open)
      const done: number[] = []
      await putBlob(c, driver, randomBlob(100))
      const first = driver.sync().then(() => done.push(1))
      await putBlob(c, driver, randomBlob(100))
      const second = driver.sync().then(() => done.push(2))
      await Promise.all([first, second])
      c.ok(done[0] === 1 && done[1] === 2, 'a later sync never returns while an earlier one still fsyncs what it took')
    },
  },
  {
    name: 'put is idempotent',
    async run(c, open) {
      const driver = await opened(c, open)
      const blob = randomBlob(100)
      await putBlob(c, driver, blob)
      await driver.put(blob.id, blob.data)
      c.ok((await driver.get(blob.id)).equals(blob.data), 'the same bytes after the second put')
      c.ok((await listed(driver)).filter(id => id === blob.id).length === 1, 'listed once')
    },
  },
  {
    name: 'get reads a byte range',
    async run(c, open) {
      const driver = await opened(c, open)
      const blob = randomBlob(1000)
      await putBlob(c, driver, blob)
      const cases = [
        { what: 'start', offset: 0, length: 10, expected: blob.data.subarray(0, 10) },
        { what: 'middle', offset: 400, length: 100, expected: blob.data.subarray(400, 500) },
        { what: 'end', offset: 990, length: 10, expected: blob.data.subarray(990) },
        { what: 'whole', offset: 0, length: 1000, expected: blob.data },
        { what: 'empty', offset: 500, length: 0, expected: Buffer.alloc(0) },
        { what: 'across the end', offset: 995, length: 100, expected: blob.data.subarray(995) },
        { what: 'past the end', offset: 2000, length: 10, expected: Buffer.alloc(0) },
      ]
      for (const { what, offset, length, expected } of cases) {
        const got = await driver.get(blob.id, { offset, length })
        c.ok(got.equals(expected), `${what}: got ${got.length} bytes, want ${expected.length}`)
      }
    },
  },
  {
    name: 'a bad byte range is refused with EINVAL',
    async run(c, open) {
      const driver = await opened(c, open)
      const blob = randomBlob(10)
      await putBlob(c, driver, blob)
      await c.rejects(driver.get(blob.id, { offset: -1, length: 1 }), 'negative offset', 'EINVAL')
      await c.rejects(driver.get(blob.id, { offset: 0, length: -1 }), 'negative length', 'EINVAL')
      await c.rejects(driver.get(blob.id, { offset: 0.5, length: 1 }), 'fractional offset', 'EINVAL')
    },
  },
  {
    name: 'has and delete; delete is idempotent',
    async run(c, open) {
      const driver = await opened(c, open)
      const blob = randomBlob(10)
      c.ok((await driver.has(blob.id)) === false, 'absent before put')
      await putBlob(c, driver, blob)
      c.ok((await driver.has(blob.id)) === true, 'present after put')
      await driver.delete(blob.id)
      c.ok((await driver.has(blob.id)) === false, 'absent after delete')
      await driver.delete(blob.id)
      c.ok(true, 'deleting an absent blob succeeds')
    },
  },
  {
    name: 'get of a missing blob rejects with ENOENT',
    async run(c, open) {
      const driver = await opened(c, open)
      const missing = randomBlob(10)
      await c.rejects(driver.get(missing.id), 'whole blob', 'ENOENT')
      await c.rejects(driver.get(missing.id, { offset: 0, length: 1 }), 'with a range too', 'ENOENT')
    },
  },
  {
    name: 'list yields each stored blob once and forgets deleted ones',
    async run(c, open) {
      const driver = await opened(c, open)
      const kept = [randomBlob(1), randomBlob(2), randomBlob(3)]
      const deleted = randomBlob(4)
      for (const blob of [...kept, deleted]) await putBlob(c, driver, blob)
      await driver.delete(deleted.id)
      const ids = await listed(driver)
      c.ok(new Set(ids).size === ids.length, 'no duplicates')
      c.ok(ids.every(id => /^sha256-[0-9a-f]{64}$/.test(id)), 'only blob ids')
      for (const blob of kept) c.ok(ids.includes(blob.id), `lists ${blob.id}`)
      c.ok(!ids.includes(deleted.id), 'does not list the deleted blob')
    },
  },
  {
    name: 'listSizes, when the driver has it, yields what list does with each blob\'s size',
    async run(c, open) {
      const driver = await opened(c, open)
      if (!driver.listSizes) return c.ok(true, 'no listSizes: pool ls shows no bytes for this driver')
      const blobs = [randomBlob(0), randomBlob(10), randomBlob(70_000)]
      for (const blob of blobs) await putBlob(c, driver, blob)
      const sizes = new Map<string, number>()
      for await (const { id, bytes } of driver.listSizes()) sizes.set(id, bytes)
      c.ok(sameSet([...sizes.keys()], await listed(driver)), 'the same ids as list')
      for (const blob of blobs) c.ok(sizes.get(blob.id) === blob.data.length, `${blob.data.length} bytes: listed as ${sizes.get(blob.id)}`)
    },
  },
  {
    name: 'ids that are not blob ids are refused with EINVAL',
    async run(c, open) {
      const driver = await opened(c, open)
      const data = Buffer.from('escape attempt')
      const before = await listed(driver)
      for (const id of ESCAPING_IDS) {
        const label = JSON.stringify(id)
        await c.rejects(driver.put(id, data), `put ${label}`, 'EINVAL')
        await c.rejects(driver.get(id), `get ${label}`, 'EINVAL')
        await c.rejects(driver.has(id), `has ${label}`, 'EINVAL')
        await c.rejects(driver.delete(id), `delete ${label}`, 'EINVAL')
      }
      c.ok(sameSet(await listed(driver), before), 'nothing was stored')
    },
  },
  {
    name: 'concurrent puts all succeed',
    async run(c, open) {
      const driver = await opened(c, open)
      const same = randomBlob(64 * 1024)
      await Promise.all(Array.from({ length: 20 }, () => putBlob(c, driver, same)))
      c.ok((await driver.get(same.id)).equals(same.data), '20 puts of one id')
      const distinct = Array.from({ length: 20 }, () => randomBlob(64 * 1024))
      await Promise.all(distinct.map(blob => putBlob(c, driver, blob)))
      const readBack = await Promise.all(distinct.map(blob => driver.get(blob.id)))
      c.ok(readBack.every((data, i) => data.equals(distinct[i].data)), '20 puts of different ids')
    },
  },
  {
    name: 'usage reports sane numbers',
    async run(c, open) {
      const driver = await opened(c, open)
      const { totalBytes, freeBytes } = await driver.usage()
      c.ok(totalBytes > 0, `total ${totalBytes} > 0`)
      c.ok(freeBytes >= 0 && freeBytes <= totalBytes, `0 <= free ${freeBytes} <= total`)
    },
  },
  {
    name: 'close is idempotent and ends the driver',
    async run(c, open) {
      const driver = await opened(c, open)
      await driver.close()
      await driver.close()
      c.ok(true, 'closed twice')
      const blob = randomBlob(10)
      await c.rejects(driver.put(blob.id, blob.data), 'put after close')
      await c.rejects(driver.get(blob.id), 'get after close')
      await c.rejects(driver.has(blob.id), 'has after close')
    },
  },
]
