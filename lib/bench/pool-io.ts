// Pool put/get throughput: count blobs of size bytes put (then one sync) and got back whole,
// on any PoolDriver, so that drivers compare side by side on the same machine in one run.
import { randomBytes } from 'node:crypto'
import type { PoolDriver } from '../../drivers/driver'
import { blobId } from '../data/blob-id'

export interface PoolIo {
  putMiBs: number
  getMiBs: number
}

/** how many puts or gets run at once, as the blob store's writers and read-ahead do */
const PARALLEL = 4

async function inParallel(n: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: PARALLEL }, async () => { for (let i = next++; i < n; i = next++) await fn(i) }))
}

export async function poolIo(driver: PoolDriver, count: number, size: number): Promise<PoolIo> {
  const blobs = Array.from({ length: count }, () => randomBytes(size))
  const ids = blobs.map(blobId)
  const mib = (count * size) / 1024 ** 2
  try {
    let start = performance.now()
    await inParallel(count, i => driver.put(ids[i], blobs[i]))
    await driver.sync()
    const putMiBs = mib / ((performance.now() - start) / 1000)
    start = performance.now()
    await inParallel(count, async i => { await driver.get(ids[i]) })
    const getMiBs = mib / ((performance.now() - start) / 1000)
    return { putMiBs, getMiBs }
  } finally {
    for (const id of ids) await driver.delete(id)
  }
}
