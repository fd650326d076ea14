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
import type { MetaStore } from '../meta/store'
import { openPlacedPools } from '../placement/placed-pools'
import { openShared } from './shared-stores'
import { ConfigError } from '../errors'
import { ms } from '../config/tunables'

export interface ClientOptions extends Omit<OpenOptions, 'owns' | 'causality' | 'openGroup'> {
  /** the filesystem's name in the store (default 'meridian') */
  name?: string
  readCacheBytes?: number
  /** how long one pool call may take before the blob store tries another pool (lib/data/blob-store.ts) */
  poolTimeoutMs?: number
  /** how metadata reads are served (lib/causal): causal (default), linearizable, or nearest (unchecked) */
  reads?: ReadMode
  /** group name -> host:port of its etcd member nearest to this mount, which serves its reads */
  nearest?: Record<string, string>
  /**
   * group id -> store, for groups given rather than opened by URL (a snapshot's, in memory);
   * the filesystem closes them, the root group's among them
   */
  stores?: Map<number, MetaStore>
  /** the site this mount is in: blobs are read from its pools first (lib/placement/placed-pools.ts) */
  site?: string
  /** how long a call to a further group's store retries before it fails (default: tuning group-deadline) */
  groupDeadlineMs?: number
  /**
   * group name -> the URL this mount reaches the group by, instead of the one the root group
   * lists (which is the same for every mount): e.g. a lab site's way through its WAN proxy
   */
  groupUrls?: Record<string, string>
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
  if (store.engine !== 'etcd' && !urls.some(isEtcd)) return undefined
  return new CausalSession({ mode })
}

/** isEtcd tells whether a metadata URL names etcd (with or without TLS) */
const isEtcd = (url: string) => ['etcd', 'etcds'].includes(engineScheme(url))

/** withNearest names the member of an etcd URL that serves this mount's reads */
function withNearest(url: string, member: string): string {
  if (!isEtcd(url)) throw new ConfigError('nearest', `${url} is not an etcd group: it has no members to choose from`)
  const [members, query = ''] = url.split('?', 2)
  const params = new URLSearchParams(query) // the group's TLS and user options stay
  params.set('nearest', member)
  return `${members}?${params.toString().replace(/%2F/gi, '/').replace(/%3A/gi, ':')}`
}

/** openFilesystem opens the filesystem `name` of store with its pools; closing it closes them. */
export async function openFilesystem(store: MetaStore, opts: ClientOptions = {}): Promise<Filesystem> {
  const name = opts.name ?? 'meridian'
  const settings = await readSettings(store, name)
  const session = await causalSession(store, name, opts.reads ?? 'causal')
  // blocks go where the placement policies say, through every pool of the pool map
  const { pools, placement } = await openPlacedPools(store, name, { site: opts.site, follow: true })
  const blobs = new BlobStore(pools, { copies: settings.copies, cache: new ReadCache({ maxBytes: opts.readCacheBytes }), placement, poolTimeoutMs: opts.poolTimeoutMs })
  try {
    return await Filesystem.open(session ? session.store(String(ROOT_GROUP), store) : store, settings, blobs, {
      ...opts,
      owns: [...pools.map(p => p.driver), placement, ...(opts.stores?.values() ?? [])],
      openGroup: async group => {
        const given = opts.stores?.get(group.id)
        if (given) return { store: given, release: async () => undefined }
        const near = opts.nearest?.[group.name]
        const url = opts.groupUrls?.[group.name] ?? group.url
        const opened = await openShared(near ? withNearest(url, near) : url, opts.groupDeadlineMs ?? ms(undefined, 'group-deadline'))
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
    await placement.close()
    throw err
  }
}
