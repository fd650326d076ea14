// Assembling a client of one filesystem: the settings read from the root group's metadata
// store, the pools of its placement map opened through their drivers, the blob store over them
// (writing where the placement policies say), and the
// Filesystem on top, with the means to open its further groups' stores by URL. lib/fs receives
// all of this; it opens nothing itself.
import { openPool } from '../../drivers'
import type { PoolDriver } from '../../drivers/driver'
import { BlobStore } from '../data/blob-store'
import { ReadCache } from '../data/read-cache'
import { Filesystem, type OpenOptions } from '../fs/filesystem'
import { readSettings } from '../fs/format'
import type { Settings } from '../fs/schema'
import { CausalSession, VectorClock, type ReadMode } from '../causal'
import { listGroups } from '../fs/config'
import { ROOT_GROUP } from '../fs/ino'
import { Keys } from '../fs/schema'
import { engineScheme } from '../meta/registry'
import { DEADLINE_MS } from '../meta/retry'
import type { MetaStore } from '../meta/store'
import { openPlacedPools } from '../placement/placed-pools'
import { openShared } from './shared-stores'
import { ConfigError } from '../errors'

/** how long an operation in a further group's store may take before it fails (the mount's deadline) */
const GROUP_DEADLINE_MS = DEADLINE_MS

export interface ClientOptions extends Omit<OpenOptions, 'owns' | 'causality' | 'openGroup'> {
  /** the filesystem's name in the store (default 'meridian') */
  name?: string
  readCacheBytes?: number
  /** how metadata reads are served (lib/causal): causal (default), linearizable, or nearest (unchecked) */
  reads?: ReadMode
  /** group name -> host:port of its etcd member nearest to this mount, which serves its reads */
  nearest?: Record<string, string>
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

/**
 * causalSession is the mount's causal state when its reads can see replicas behind the
 * quorum: with etcd anywhere among its groups and a mode other than linearizable. Embedded
 * stores have one replica, always current: their reads need no clock.
 */
async function causalSession(store: MetaStore, name: string, mode: ReadMode): Promise<CausalSession | undefined> {
  if (mode === 'linearizable') return undefined
  const urls = (await listGroups(store, new Keys(name))).map(g => g.url)
  if (store.engine !== 'etcd' && !urls.some(u => engineScheme(u) === 'etcd')) return undefined
  return new CausalSession({ mode })
}

/** withNearest names the member of an etcd URL that serves this mount's reads */
function withNearest(url: string, member: string): string {
  if (engineScheme(url) !== 'etcd') throw new ConfigError('nearest', `${url} is not an etcd group: it has no members to choose from`)
  return `${url.split('?')[0]}?nearest=${member}`
}

/** openFilesystem opens the filesystem `name` of store with its pools; closing it closes them. */
export async function openFilesystem(store: MetaStore, opts: ClientOptions = {}): Promise<Filesystem> {
  const name = opts.name ?? 'meridian'
  const settings = await readSettings(store, name)
  const session = await causalSession(store, name, opts.reads ?? 'causal')
  // blocks go where the placement policies say, through every pool of the pool map
  const { pools, placement } = await openPlacedPools(store, name)
  const blobs = new BlobStore(pools, { copies: settings.copies, cache: new ReadCache({ maxBytes: opts.readCacheBytes }), placement })
  try {
    return await Filesystem.open(session ? session.store(String(ROOT_GROUP), store) : store, settings, blobs, {
      ...opts,
      owns: pools.map(p => p.driver),
      openGroup: async group => {
        const near = opts.nearest?.[group.name]
        const opened = await openShared(near ? withNearest(group.url, near) : group.url, GROUP_DEADLINE_MS)
        return session ? { ...opened, store: session.store(String(group.id), opened.store) } : opened
      },
      causality: session && {
        token: () => session.token(),
        dependsOn: token => session.dependsOn(VectorClock.decode(token)),
        catchUp: token => session.catchUp(token),
      },
    })
  } catch (err) {
    for (const p of pools) await p.driver.close()
    throw err
  }
}
