// Every blob an extent references must be in at least one pool.
import type { PoolDriver } from '../../drivers/driver'
import type { BlobRef } from './chunks'
import type { Report } from './report'

/** how many blobs are looked up at once */
const PARALLEL = 16

/** checkBlobs asks the pools, in order, for each referenced blob; reports in reference order. */
export async function checkBlobs(blobs: Map<string, BlobRef>, pools: PoolDriver[], report: Report): Promise<void> {
  const ids = [...blobs.keys()]
  const found: boolean[] = new Array(ids.length)
  let next = 0
  const worker = async () => {
    for (let n = next++; n < ids.length; n = next++) found[n] = await inSomePool(ids[n], pools)
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker))
  ids.forEach((id, n) => {
    const ref = blobs.get(id) as BlobRef
    if (!found[n]) report({ kind: 'missing-blob', key: ref.key, ino: ref.ino, detail: `blob ${id} is in none of the ${pools.length} pool(s)` })
  })
}

async function inSomePool(id: string, pools: PoolDriver[]): Promise<boolean> {
  for (const pool of pools) if (await pool.has(id)) return true
  return false
}
