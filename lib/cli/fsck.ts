// meridian fsck: check one filesystem's metadata in every group, that its pools hold every
// blob it references, and that every blob has its copies on its targets
// (lib/replicator/placement-check.ts). Read-only, unless --repair: then it first settles the
// cross-group transactions a crash left half done, and a replicator pass restores replica
// counts from good copies. Prints a summary (or JSON); exit 1 on problems.
import { Command } from 'commander'
import { openPool } from '../../drivers'
import { listGroups } from '../fs/config'
import { Keys } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import { reach } from './group'
import type { PoolDriver } from '../../drivers/driver'
import { fsck, readSettings, type FsckReport } from '../fsck/check'
import { defaultMetaUrl, openStore } from '../meta'
import { PlacementStore } from '../placement/placement-config'
import { progress, progressMode, type ProgressMode } from '../progress'
import { checkPlacement } from '../replicator/placement-check'
import { Replicator } from '../replicator/replicator'
import { DEFAULT_NAME } from './format'
import { print } from './run'

export interface FsckCliOptions {
  meta?: string
  name?: string
  json?: boolean
  /** read every copy and check its hash (slow: reads all data) */
  verify?: boolean
  /** settle half-done cross-group transactions, restore replica counts from good copies (a replicator pass; with verify, corrupt copies are replaced), then check */
  repair?: boolean
  /** how progress shows on stderr (default: not at all) */
  progress?: ProgressMode
}

export interface FsckResult extends FsckReport {
  meta: string
  name: string
  /** with repair: what the replicator pass did */
  replicated?: { copies: number; deletes: number; backlog: number }
}

/** check opens the store and every pool of the pool map, runs fsck and the placement check, and closes everything */
export async function check(opts: FsckCliOptions): Promise<FsckResult> {
  const meta = opts.meta ?? defaultMetaUrl()
  const name = opts.name ?? DEFAULT_NAME
  // read-only: a store that is not there is an error, never a new empty one
  const store = await openStore(meta, { deadlineMs: 5_000, existing: true, readOnly: !opts.repair })
  const drivers = new Map<string, PoolDriver>()
  const groups = new Map<number, MetaStore>()
  const bar = progress('fsck', 'phases', opts.progress ?? 'off')
  try {
    await readSettings(store, name)
    for (const g of await listGroups(store, new Keys(name))) groups.set(g.id, await reach(g.url, { readOnly: !opts.repair }))
    // every pool of the pool map: a blob may be in any of them
    for (const p of (await new PlacementStore(store, name).load()).pools) {
      try {
        drivers.set(p.name, await openPool(p.config))
      } catch {
        // reported by the placement check as unreachable
      }
    }
    let replicated: FsckResult['replicated']
    if (opts.repair) {
      const r = await new Replicator(store, name, drivers, { verify: opts.verify }).pass()
      replicated = { copies: r.copies, deletes: r.deletes, backlog: r.backlog.blobs }
    }
    // fsck's phases, then the placement check as one more
    let phases = 0
    const onProgress = (done: number, total: number, phase: string) => {
      phases = total
      bar.total(total + 1)
      bar.update(done, phase)
    }
    const report = await fsck(store, name, { pools: [...drivers.values()], groups, repair: opts.repair, onProgress })
    bar.update(phases, 'placement')
    const problems = [...report.problems, ...(await checkPlacement(store, name, drivers, { verify: opts.verify }))]
    bar.update(phases + 1, 'done')
    return { meta, name, ...report, problems, ok: problems.length === 0, ...(replicated ? { replicated } : {}) }
  } finally {
    bar.stop()
    for (const d of drivers.values()) await d.close()
    for (const g of groups.values()) await g.close()
    await store.close()
  }
}

/** summary is the report for people: one line, then one line per problem */
export function summary(r: FsckResult): string {
  const settled = r.repaired ? `; settled ${r.repaired} cross-group transaction record(s) and intent(s) first` : ''
  const repaired = r.replicated ? `; repair made ${r.replicated.copies} copies, deleted ${r.replicated.deletes} surplus, ${r.replicated.backlog} blobs left` : ''
  const counts = `${r.inodes} inodes, ${r.entries} entries, ${r.blobs} blobs${settled}${repaired}`
  if (r.ok) return `meridian: '${r.name}' in ${r.meta} is consistent (${counts})`
  const lines = r.problems.map(p => `  ${p.kind}: ${p.detail}${p.key ? ` [${p.key}]` : ''}`)
  return [`meridian: '${r.name}' in ${r.meta} has ${r.problems.length} problem(s) (${counts})`, ...lines].join('\n')
}

export function fsckCommand(): Command {
  return new Command('fsck')
    .description('check a filesystem: entries, inodes, link and entry counts, chunk layouts, that the pools hold every blob and every blob its copies on its targets (read-only unless --repair; exit 1 on problems)')
    .option('--meta <url>', 'metadata store: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
    .option('--name <name>', `filesystem name (default: ${DEFAULT_NAME})`)
    .option('--json', 'print JSON')
    .option('--verify', 'read every copy of every blob and check its hash')
    .option('--repair', 'first settle cross-group transactions a crash left half done, and restore replica counts from good copies (one replicator pass)')
    .action(async (opts: FsckCliOptions) => {
      const r = await check({ ...opts, progress: progressMode(opts.json) })
      print(opts.json, { ...r }, summary(r))
      if (!r.ok) process.exitCode = 1
    })
}
