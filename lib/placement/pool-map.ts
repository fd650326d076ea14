// The pool map: every pool of a filesystem with its site, weight and state, and the driver
// config that opens it. It carries the configuration epoch it was read at (DESIGN §3).
import type { PoolConfig } from '../../drivers/driver'

/** active pools take new copies; a draining pool takes none and the replicator empties it */
export type PoolState = 'active' | 'draining'

export interface PoolSpec {
  name: string
  site: string
  /** relative share of the blobs this pool receives (straw2 weight), > 0 */
  weight: number
  state: PoolState
  config: PoolConfig
}

/** the site of pools that never said theirs (format's pools, before `pool add --site`) */
export const DEFAULT_SITE = 'default'

export const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** poolsFromSettings is the initial pool map: the pools `meridian format` wrote into the Settings */
export function poolsFromSettings(pools: Record<string, PoolConfig>): PoolSpec[] {
  return Object.entries(pools).map(([name, config]) => ({ name, site: DEFAULT_SITE, weight: 1, state: 'active', config }))
}
