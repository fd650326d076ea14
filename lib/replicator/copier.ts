// Copying blobs between pools trusts nothing: the source copy is hashed before it is sent (a
// corrupt one is skipped and reported), and the destination's copy is read back and hashed
// after it is made durable (the replicator does both with these).
import type { PoolDriver } from '../../drivers/driver'
import { holds } from '../data/blob-id'

export interface Source {
  name: string
  driver: PoolDriver
}

/** readGood returns the first source copy whose bytes match id (null when none does), and the sources found corrupt or missing */
export async function readGood(id: string, sources: Source[]): Promise<{ data: Buffer | null; bad: string[] }> {
  const bad: string[] = []
  for (const s of sources) {
    try {
      const data = await s.driver.get(id)
      if (await holds(id, data)) return { data, bad }
    } catch {
      // unreachable or missing: try the next copy
    }
    bad.push(s.name)
  }
  return { data: null, bad }
}

/** verified tells whether the pool's copy of id is there and matches its hash */
export async function verified(id: string, driver: PoolDriver): Promise<boolean> {
  try {
    return await holds(id, await driver.get(id))
  } catch {
    return false
  }
}
