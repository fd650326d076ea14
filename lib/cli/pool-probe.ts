// A write probe of a pool being added (pool add, format): a pool that cannot take blobs is
// refused at once, with nothing of the probe left in it.
import { randomBytes } from 'node:crypto'
import type { PoolDriver } from '../../drivers/driver'
import { blobId } from '../data/blob-id'
import { ConfigError, toErrno } from '../errors'

/** probeWrites puts and deletes a small blob of its own, so that a pool that cannot take blobs is refused when it is added */
export async function probeWrites(name: string, driver: PoolDriver): Promise<void> {
  const data = randomBytes(32)
  const id = blobId(data)
  try {
    await driver.put(id, data)
    await driver.delete(id)
  } catch (err) {
    throw new ConfigError(`pool ${name}`, `cannot write to the pool (${toErrno(err)}: ${(err as Error).message})`)
  }
}
