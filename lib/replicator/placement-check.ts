// The placement part of fsck: for every referenced blob, its copies against its targets.
// Problem kinds (in the form of lib/fsck/report.ts):
//   under-replicated   fewer copies than the blob has targets (a pool lost it, or the replicator is behind)
//   misplaced-copy     a copy on a pool that is not one of the blob's targets (the replicator moves it)
//   corrupt-copy       with verify: a copy whose bytes do not match its id
//   unreachable-pool   a pool that did not open: its copies are unknown
// Run `fsck --repair` (a replicator pass, lib/replicator) to restore replica counts from good copies.
import type { PoolDriver } from '../../drivers/driver'
import { holds } from '../data/blob-id'
import type { Problem } from '../fsck/report'
import type { MetaStore } from '../meta/store'
import { PlacementStore } from '../placement/placement-config'
import { referencedBlobs } from './blob-refs'
import { holders, targetsOf } from './copies'

export async function checkPlacement(store: MetaStore, fsName: string, drivers: Map<string, PoolDriver>, opts: { verify?: boolean } = {}): Promise<Problem[]> {
  const config = await new PlacementStore(store, fsName).load()
  const problems: Problem[] = []
  for (const p of config.pools) {
    if (!drivers.has(p.name)) problems.push({ kind: 'unreachable-pool', detail: `pool ${p.name} did not open: its copies are unknown` })
  }
  for (const [id, ref] of await referencedBlobs(store, fsName, drivers)) {
    const want = targetsOf(id, ref, config)
    let have = await holders(id, config, drivers)
    if (opts.verify) {
      const good: string[] = []
      for (const name of have) {
        const ok = await drivers.get(name)!.get(id).then(data => holds(id, data), () => false)
        if (ok) good.push(name)
        else problems.push({ kind: 'corrupt-copy', detail: `blob ${id} in pool ${name} does not match its hash (used by ${ref.paths[0]})` })
      }
      have = good
    }
    const onTarget = want.filter(p => have.includes(p))
    if (have.length < want.length) {
      problems.push({ kind: 'under-replicated', detail: `blob ${id} of ${ref.paths[0]}: ${have.length} good copies (${have.join(', ') || 'none'}), ${want.length} wanted on ${want.join(', ')}` })
    }
    for (const p of have.filter(p => !want.includes(p))) {
      problems.push({ kind: 'misplaced-copy', detail: `blob ${id} of ${ref.paths[0]}: a copy on ${p}, not one of its targets (${want.join(', ')}; ${onTarget.length} there)` })
    }
  }
  return problems
}
