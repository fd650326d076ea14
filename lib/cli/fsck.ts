// meridian fsck: check one filesystem's metadata in every group, and that its pools hold every
// blob it references. Read-only, except with --repair, which first settles the cross-group
// transactions a crash left half done. Prints a summary (or JSON); exit 1 on problems.
import { Command } from 'commander'
import { openPools } from '../client/open'
import { listGroups } from '../fs/config'
import { Keys } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import { reach } from './group'
import type { PoolDriver } from '../../drivers/driver'
import { fsck, readSettings, type FsckReport } from '../fsck/check'
import { defaultMetaUrl, openStore } from '../meta'
import { DEFAULT_NAME } from './format'
import { print } from './run'

export interface FsckCliOptions {
  meta?: string
  name?: string
  json?: boolean
  repair?: boolean
}

export interface FsckResult extends FsckReport {
  meta: string
  name: string
}

/** check opens the store and the filesystem's pools, runs fsck and closes everything */
export async function check(opts: FsckCliOptions): Promise<FsckResult> {
  const meta = opts.meta ?? defaultMetaUrl()
  const name = opts.name ?? DEFAULT_NAME
  // read-only: a store that is not there is an error, never a new empty one
  const store = await openStore(meta, { deadlineMs: 5_000, existing: true })
  let pools: PoolDriver[] = []
  const groups = new Map<number, MetaStore>()
  try {
    pools = (await openPools(await readSettings(store, name))).map(p => p.driver)
    for (const g of await listGroups(store, new Keys(name))) groups.set(g.id, await reach(g.url))
    return { meta, name, ...(await fsck(store, name, { pools, groups, repair: opts.repair })) }
  } finally {
    for (const p of pools) await p.close()
    for (const g of groups.values()) await g.close()
    await store.close()
  }
}

/** summary is the report for people: one line, then one line per problem */
export function summary(r: FsckResult): string {
  const counts = `${r.inodes} inodes, ${r.entries} entries, ${r.blobs} blobs${r.repaired ? `; settled ${r.repaired} cross-group transaction record(s) and intent(s) first` : ''}`
  if (r.ok) return `meridian: '${r.name}' in ${r.meta} is consistent (${counts})`
  const lines = r.problems.map(p => `  ${p.kind}: ${p.detail}${p.key ? ` [${p.key}]` : ''}`)
  return [`meridian: '${r.name}' in ${r.meta} has ${r.problems.length} problem(s) (${counts})`, ...lines].join('\n')
}

export function fsckCommand(): Command {
  return new Command('fsck')
    .description('check a filesystem: entries, inodes, link and entry counts, chunk layouts, and that the pools hold every blob (read-only; exit 1 on problems)')
    .option('--meta <url>', 'metadata store: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
    .option('--name <name>', `filesystem name (default: ${DEFAULT_NAME})`)
    .option('--json', 'print JSON')
    .option('--repair', 'first settle cross-group transactions a crash left half done (forward if committed, back otherwise)')
    .action(async (opts: FsckCliOptions) => {
      const r = await check(opts)
      print(opts.json, { ...r }, summary(r))
      if (!r.ok) process.exitCode = 1
    })
}
