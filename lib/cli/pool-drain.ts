// meridian pool drain: the pool takes no new copies, and the replicator copies what it holds
// to the blobs' other targets and then deletes it there. Refused when a policy needs the pool.
import { Command } from 'commander'
import { findPool, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export async function poolDrain(name: string, opts: PlacementCliOptions): Promise<{ draining: string; epoch: number }> {
  return withPlacement(opts, async placement => {
    const next = await placement.update(c => {
      findPool(c.pools, name, 'name').state = 'draining'
      return c
    })
    return { draining: name, epoch: next.epoch }
  })
}

export function poolDrainCommand(): Command {
  return withCommonOptions(new Command('drain'))
    .description('stop placing copies in a pool; the replicator moves what it holds to the other targets')
    .argument('<name>', 'pool name')
    .action(async (name: string, opts: PlacementCliOptions) => {
      const r = await poolDrain(name, opts)
      print(opts.json, r, `pool '${r.draining}' is draining (pool map epoch ${r.epoch}): run 'meridian replicate' to empty it`)
    })
}
