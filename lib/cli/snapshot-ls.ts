// meridian snapshot ls: the snapshots of a filesystem, oldest first.
import { Command } from 'commander'
import { listSnapshots, type SnapshotRecord } from '../snapshot/catalogue'
import { READ_ONLY, rootOptions, withRoot, type GroupCliOptions } from './group'
import { print } from './run'

/** describe is one snapshot on one line: name, time, keys, and each group's cut revision */
export function describe(s: SnapshotRecord): string {
  const groups = Object.entries(s.groups)
  const keys = groups.reduce((n, [, g]) => n + g.keys, 0)
  return `${s.name}\t${new Date(s.created).toISOString()}\t${keys} keys\t${groups.map(([id, g]) => `group ${id}@${g.revision}`).join(', ')}`
}

export function snapshotLsCommand(): Command {
  return rootOptions(new Command('ls'))
    .description('list the snapshots: name, time taken, keys, and the revision cut in each group')
    .action(async (opts: GroupCliOptions) => {
      const all = (await withRoot(opts, (root, keys) => listSnapshots(root, keys.name), READ_ONLY)).sort((a, b) => a.created - b.created)
      print(opts.json, { snapshots: all }, all.length === 0 ? 'no snapshots' : all.map(describe).join('\n'))
    })
}
