// meridian explain PATH: which policy applies to a file and why, and for each of its blobs
// where the copies are, where they should be, and what the replicator still has to do.
import { Command } from 'commander'
import type { Extent } from '../data/extent'
import { ConfigError } from '../errors'
import { overLimits } from '../fs/names'
import { S_IFDIR, S_IFMT } from '../fs/inode'
import { Keys, ROOT_INO, type Settings } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import { PlacementKeys } from '../placement/keys'
import { targets } from '../placement/placement'
import { normalizePath, ruleFor, type Policy } from '../placement/policy'
import { openDrivers, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

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

/** inodeOf walks path from the root by its directory entries */
async function inodeOf(store: MetaStore, keys: Keys, path: string): Promise<{ ino: number; dir: boolean }> {
  let at = { ino: ROOT_INO, dir: true }
  const tooLong = overLimits(path)
  if (tooLong) throw new ConfigError('path', tooLong)
  for (const name of path.split('/').filter(Boolean)) {
    if (!at.dir) throw new ConfigError('path', `${path}: a component is not a directory`)
    const { kv } = await store.get(keys.entry(at.ino, name))
    if (!kv) throw new ConfigError('path', `${path}: no such file or directory`)
    const [ino, type] = JSON.parse(kv.value.toString()) as [number, number]
    at = { ino, dir: (type & S_IFMT) === S_IFDIR }
  }
  return at
}

export async function explain(path: string, opts: PlacementCliOptions): Promise<Explanation> {
  const at = normalizePath(path)
  return withPlacement(opts, async (placement, store) => {
    const config = await placement.load()
    const keys = new Keys(placement.fsName)
    const { ino, dir } = await inodeOf(store, keys, at)
    const rule = ruleFor(at, config.rules)!
    const { chunkSize } = JSON.parse((await store.get(keys.setting())).kv!.value.toString()) as Settings
    const chunks = dir ? [] : (await store.range(keys.chunks(ino))).kvs
    const seen = new Map<string, { offset: number; length: number }>()
    for (const kv of chunks) {
      const chunk = parseInt(kv.key.toString().slice(keys.chunks(ino).length), 16)
      for (const e of JSON.parse(kv.value.toString()) as Extent[]) {
        if (!seen.has(e.blob)) seen.set(e.blob, { offset: chunk * chunkSize + e.off, length: e.len })
      }
    }
    const drivers = await openDrivers(config.pools)
    const queue = new PlacementKeys(placement.fsName)
    try {
      const blobs: BlobPlacement[] = []
      for (const [blob, where] of seen) {
        const copies: string[] = []
        for (const [name, d] of drivers.open) if (await d.has(blob).catch(() => false)) copies.push(name)
        const want = targets(blob, rule.policy, config.pools)
        const queued = (await store.get(queue.queued(blob))).kv !== null
        blobs.push({ blob, ...where, copies, targets: want, copy: want.filter(p => !copies.includes(p)), remove: copies.filter(p => !want.includes(p)), queued })
      }
      return { path: at, from: rule.path, policy: rule.policy, epoch: config.epoch, blobs, unreachable: [...drivers.failed.keys()] }
    } finally {
      await drivers.close()
    }
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
