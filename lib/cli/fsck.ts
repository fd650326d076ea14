// meridian fsck: check one filesystem's metadata, and that its pools hold every blob it
// references. Read-only. Prints a summary (or JSON) and exits 1 when there are problems.
import { Command } from 'commander'
import { openPool } from '../../drivers'
import type { PoolDriver } from '../../drivers/driver'
import { fsck, readSettings, type FsckReport } from '../fsck/check'
import { defaultMetaUrl, openStore } from '../meta'
import { PlacementStore } from '../placement/placement-config'
import { DEFAULT_NAME } from './format'
import { print } from './run'

export interface FsckCliOptions {
  meta?: string
  name?: string
  json?: boolean
}

export interface FsckResult extends FsckReport {
  meta: string
  name: string
}

/** check opens the store and the filesystem's pools, runs fsck and closes everything */
export async function check(opts: FsckCliOptions): Promise<FsckResult> {
  const meta = opts.meta ?? defaultMetaUrl()
  const name = opts.name ?? DEFAULT_NAME
  const store = await openStore(meta, { deadlineMs: 5_000 })
  const pools: PoolDriver[] = []
  try {
    await readSettings(store, name)
    // every pool of the pool map: a blob may be in any of them
    for (const p of (await new PlacementStore(store, name).load()).pools) pools.push(await openPool(p.config))
    return { meta, name, ...(await fsck(store, name, { pools })) }
  } finally {
    for (const p of pools) await p.close()
    await store.close()
  }
}

/** summary is the report for people: one line, then one line per problem */
export function summary(r: FsckResult): string {
  const counts = `${r.inodes} inodes, ${r.entries} entries, ${r.blobs} blobs`
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
    .action(async (opts: FsckCliOptions) => {
      const r = await check(opts)
      print(opts.json, { ...r }, summary(r))
      if (!r.ok) process.exitCode = 1
    })
}
