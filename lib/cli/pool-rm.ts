// meridian pool rm: remove a pool from the pool map. Refused while the pool holds the only
// copy of any blob (drain it and let the replicator copy them first), or when a policy
// could no longer be satisfied without it. The pool's contents are left alone.
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { findPool, openDriver, openDrivers, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export async function poolRm(name: string, opts: PlacementCliOptions): Promise<{ removed: string; epoch: number }> {
  return withPlacement(opts, async placement => {
    const config = await placement.load()
    const pool = findPool(config.pools, name, 'name')
    const others = await openDrivers(config.pools.filter(p => p !== pool))
    const driver = await openDriver(pool)
    try {
      let only = 0
      let example = ''
      for await (const id of driver.list()) {
        const elsewhere = await Promise.all([...others.open.values()].map(d => d.has(id).catch(() => false)))
        if (!elsewhere.includes(true)) {
          only++
          example ||= id
        }
      }
      if (only > 0) {
        throw new ConfigError('name', `pool '${name}' holds the only copy of ${only} blob(s) (e.g. ${example}): run 'meridian pool drain ${name}' and 'meridian replicate --once' first`)
      }
    } finally {
      await driver.close()
      await others.close()
    }
    // planned at the epoch read above: a change of the pool map since then refuses this one
    const next = await placement.update(c => {
      if (c.epoch !== config.epoch) throw new ConfigError('name', `the pool map changed while checking '${name}' (epoch ${config.epoch} -> ${c.epoch}): run the command again`)
      return { ...c, pools: c.pools.filter(p => p.name !== name) }
    })
    return { removed: name, epoch: next.epoch }
  })
}

export function poolRmCommand(): Command {
  return withCommonOptions(new Command('rm'))
    .description('remove a pool from the pool map (refused while it holds the only copy of anything; its contents are not deleted)')
    .argument('<name>', 'pool name')
    .action(async (name: string, opts: PlacementCliOptions) => {
      const r = await poolRm(name, opts)
      print(opts.json, r, `removed pool '${r.removed}' (pool map epoch ${r.epoch})`)
    })
}
