// Assembling a client of one filesystem: the settings read from the root group's metadata
// store, the pools they name opened through their drivers, the blob store over them, and the
// Filesystem on top, with the means to open its further groups' stores by URL. lib/fs receives
// all of this; it opens nothing itself.
import { openPool } from '../../drivers'
import type { PoolDriver } from '../../drivers/driver'
import { BlobStore } from '../data/blob-store'
import { ReadCache } from '../data/read-cache'
import { Filesystem, type OpenOptions } from '../fs/filesystem'
import { readSettings } from '../fs/format'
import type { Settings } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import { openShared } from './shared-stores'

/** how long opening a further group's store may take before its operations fail */
const GROUP_DEADLINE_MS = 5_000

export interface ClientOptions extends Omit<OpenOptions, 'owns'> {
  /** the filesystem's name in the store (default 'meridian') */
  name?: string
  readCacheBytes?: number
}

/** openPools opens every pool of the settings, in order of preference; none stays open on a failure */
export async function openPools(settings: Settings): Promise<Array<{ name: string; driver: PoolDriver }>> {
  const pools: Array<{ name: string; driver: PoolDriver }> = []
  try {
    for (const [name, config] of Object.entries(settings.pools)) pools.push({ name, driver: await openPool(config) })
  } catch (err) {
    for (const p of pools) await p.driver.close()
    throw err
  }
  return pools
}

/** openFilesystem opens the filesystem `name` of store with its pools; closing it closes them. */
export async function openFilesystem(store: MetaStore, opts: ClientOptions = {}): Promise<Filesystem> {
  const settings = await readSettings(store, opts.name ?? 'meridian')
  const pools = await openPools(settings)
  const blobs = new BlobStore(pools, { copies: settings.copies, cache: new ReadCache({ maxBytes: opts.readCacheBytes }) })
  try {
    return await Filesystem.open(store, settings, blobs, {
      ...opts,
      owns: pools.map(p => p.driver),
      openGroup: url => openShared(url, GROUP_DEADLINE_MS),
    })
  } catch (err) {
    for (const p of pools) await p.driver.close()
    throw err
  }
}
