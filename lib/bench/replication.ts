// Replication throughput: files written into one local pool through lib/fs, then a second
// pool in another site and a policy of two copies, and one replicator pass timed; side by
// side, `cp -r` of the first pool's directory plus a sync, the same bytes on the same disk.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { join } from 'node:path'
import { openPool } from '../../drivers'
import type { PoolDriver } from '../../drivers/driver'
import { openFilesystem } from '../client/open'
import { Filesystem } from '../fs/filesystem'
import { ROOT_INO } from '../fs/schema'
import { ROOT } from '../fs/types'
import { EmbeddedStore } from '../meta/embedded'
import { PlacementStore } from '../placement/placement-config'
import { Replicator } from '../replicator/replicator'

export interface ReplicationBench {
  mib: number
  replicateMiBs: number
  cpMiBs: number
}

export async function replication(dir: string, files: number, fileBytes: number): Promise<ReplicationBench> {
  const store = await EmbeddedStore.open({ path: join(dir, 'meta.db') })
  const drivers = new Map<string, PoolDriver>()
  try {
    await Filesystem.format(store, { name: 'bench', pools: { src: { driver: 'local', path: join(dir, 'src') } } })
    const fs = await openFilesystem(store, { name: 'bench' })
    try {
      for (let i = 0; i < files; i++) {
        const { fh } = await fs.create(ROOT_INO, `f${i}`, 0o644, constants.O_RDWR, ROOT)
        await fs.write(fh, 0, randomBytes(fileBytes))
        await fs.release(fh)
      }
    } finally {
      await fs.close()
    }
    const mib = (files * fileBytes) / 1024 ** 2
    execFileSync('sync')
    let start = performance.now()
    execFileSync('cp', ['-r', join(dir, 'src'), join(dir, 'cp')])
    execFileSync('sync')
    const cpMiBs = mib / ((performance.now() - start) / 1000)

    await new PlacementStore(store, 'bench').update(c => ({
      ...c,
      pools: [{ ...c.pools[0], site: 'one' }, { name: 'dst', site: 'two', weight: 1, state: 'active', config: { driver: 'local', path: join(dir, 'dst') } }],
      rules: [{ path: '/', policy: { replicas: 2, sync: 1, spread: 'site' } }],
    }))
    for (const name of ['src', 'dst']) drivers.set(name, await openPool({ driver: 'local', path: join(dir, name) }))
    start = performance.now()
    await new Replicator(store, 'bench', drivers).pass()
    const replicateMiBs = mib / ((performance.now() - start) / 1000)
    return { mib, replicateMiBs, cpMiBs }
  } finally {
    for (const d of drivers.values()) await d.close()
    await store.close()
  }
}
