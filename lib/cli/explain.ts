// meridian explain PATH: which policy applies to a file and why, and for each of its blobs
// where the copies are, where they should be, and what the replicator still has to do.
import { Command } from 'commander'
import { readSettings } from '../fs/format'
import { Keys } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import { PlacementKeys } from '../placement/keys'
import type { PlacementConfig } from '../placement/placement-config'
import { targets } from '../placement/placement'
import { normalizePath, ruleFor, type Policy } from '../placement/policy'
import { blobsOf, chunksOf, GroupStores, locate, type Located } from './fs-walk'
import { openDrivers, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'
import { READ_ONLY } from './group'

export interface BlobPlacement {
  blob: string
  /** the file bytes [offset, offset + length) it holds, the first extent's */
  offset: number
  length: number
  copies: string[]
  targets: string[]
  /** pools still to receive a copy */
  copy: string[]
  /** pools whose copy goes once the targets hold theirs */
  remove: string[]
  queued: boolean
}

export interface Explanation {
  path: string
  from: string
  policy: Policy
  epoch: number
  blobs: BlobPlacement[]
  /** pools that did not answer: their copies are unknown */
  unreachable: string[]
}

/** placeBlobs finds, for each blob, where its copies are and where the policy wants them */
export async function placeBlobs(store: MetaStore, fsName: string, config: PlacementConfig, policy: Policy, seen: Map<string, { offset: number; length: number }>): Promise<{ blobs: BlobPlacement[]; unreachable: string[] }> {
  const drivers = await openDrivers(config.pools)
  const queue = new PlacementKeys(fsName)
  try {
    const blobs: BlobPlacement[] = []
    for (const [blob, where] of seen) {
      const copies: string[] = []
      for (const [name, d] of drivers.open) if (await d.has(blob).catch(() => false)) copies.push(name)
      const want = targets(blob, policy, config.pools)
      const queued = (await store.get(queue.queued(blob))).kv !== null
      blobs.push({ blob, ...where, copies, targets: want, copy: want.filter(p => !copies.includes(p)), remove: copies.filter(p => !want.includes(p)), queued })
    }
    return { blobs, unreachable: [...drivers.failed.keys()] }
  } finally {
    await drivers.close()
  }
}

/** withFile opens what a read-only look at one file needs: the placement config, the groups' stores, the file located */
export function withFile<T>(path: string, opts: PlacementCliOptions, fn: (file: { at: Located; stores: GroupStores; keys: Keys; config: PlacementConfig; store: MetaStore; fsName: string }) => Promise<T>): Promise<T> {
  const norm = normalizePath(path)
  return withPlacement(opts, async (placement, store) => {
    const config = await placement.load()
    const keys = new Keys(placement.fsName)
    const stores = new GroupStores(store, keys)
    try {
      const at = await locate(stores, keys, norm)
      return await fn({ at, stores, keys, config, store, fsName: placement.fsName })
    } finally {
      await stores.close()
    }
  }, READ_ONLY)
}

export function explain(path: string, opts: PlacementCliOptions): Promise<Explanation> {
  return withFile(path, opts, async ({ at, stores, keys, config, store, fsName }) => {
    const rule = ruleFor(at.path, config.rules)!
    const { chunkSize } = await readSettings(store, fsName)
    const seen = blobsOf(await chunksOf(stores, keys, at), chunkSize)
    const { blobs, unreachable } = await placeBlobs(store, fsName, config, rule.policy, seen)
    return { path: at.path, from: rule.path, policy: rule.policy, epoch: config.epoch, blobs, unreachable }
  })
}

function human(e: Explanation): string {
  const p = e.policy
  const lines = [
    `${e.path}: policy of ${e.from} (longest prefix; epoch ${e.epoch}): ${p.replicas} replica(s), ${p.sync} durable at close, one per ${p.spread}` +
      (p.sites ? `, sites ${p.sites.join(',')}` : '') + (p.pools ? `, pools ${p.pools.join(',')}` : ''),
  ]
  for (const b of e.blobs) {
    const todo = [...b.copy.map(x => `copy to ${x}`), ...b.remove.map(x => `remove from ${x}`)].join(', ') || 'nothing to do'
    lines.push(`  bytes ${b.offset}+${b.length} ${b.blob.slice(0, 19)}…  on ${b.copies.join(',') || 'no pool'}; should be on ${b.targets.join(',')}; ${todo}${b.queued ? ' (queued)' : ''}`)
  }
  if (e.unreachable.length > 0) lines.push(`  unreachable pools: ${e.unreachable.join(', ')}`)
  return lines.join('\n')
}

export function explainCommand(): Command {
  return withCommonOptions(new Command('explain'))
    .description('which policy applies to a path and why; for each block of a file, where its copies are and should be')
    .argument('<path>', 'path in the filesystem, e.g. /eu/report.pdf')
    .action(async (path: string, opts: PlacementCliOptions) => {
      const e = await explain(path, opts)
      print(opts.json, { ...e }, human(e))
    })
}
