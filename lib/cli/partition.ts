// meridian partition add|ls|rm: subtrees whose metadata lives in a group of their own. With the
// embedded engine the store belongs to one process at a time: change partitions while the
// filesystem is not mounted (etcd groups can change under running mounts).
import { Command } from 'commander'
import { openFilesystem } from '../client/open'
import { listPartitions } from '../fs/config'
import type { Filesystem } from '../fs/filesystem'
import type { PartitionRecord } from '../fs/schema'
import { defaultMetaUrl, openStore } from '../meta'
import { DEFAULT_NAME } from './format'
import { READ_ONLY, rootOptions, withRoot, type GroupCliOptions } from './group'
import { print } from './run'

export interface PartitionCliOptions extends GroupCliOptions {
  group?: string
}

/** withFilesystem opens the filesystem (root group, pools, further groups as met) for fn */
async function withFilesystem<T>(opts: PartitionCliOptions, fn: (fs: Filesystem) => Promise<T>): Promise<T> {
  const store = await openStore(opts.meta ?? defaultMetaUrl(), { deadlineMs: 5_000, existing: true })
  try {
    const fs = await openFilesystem(store, { name: opts.name ?? DEFAULT_NAME })
    try {
      return await fn(fs)
    } finally {
      await fs.close()
    }
  } finally {
    await store.close()
  }
}

export function partitionAdd(path: string, opts: PartitionCliOptions): Promise<PartitionRecord> {
  return withFilesystem(opts, fs => fs.addPartition(path, opts.group ?? ''))
}

export function partitionList(opts: PartitionCliOptions): Promise<PartitionRecord[]> {
  return withRoot(opts, (root, keys) => listPartitions(root, keys), READ_ONLY)
}

export function partitionRemove(path: string, opts: PartitionCliOptions): Promise<void> {
  return withFilesystem(opts, fs => fs.removePartition(path))
}

export function partitionCommand(): Command {
  const partition = new Command('partition').description('subtrees whose metadata lives in a group of their own')
  partition.addCommand(rootOptions(new Command('add'))
    .description('make PATH (absent, or an empty directory) a partition in GROUP: it is made there')
    .argument('<path>', 'a path inside the filesystem, from its root (e.g. /eu)')
    .requiredOption('--group <group>', 'the group the subtree lives in (meridian group ls)')
    .action(async (path: string, opts: PartitionCliOptions) => {
      const p = await partitionAdd(path, opts)
      print(opts.json, { ...p }, `partition ${p.path} -> group '${p.group}' (top directory inode ${p.ino})`)
    }))
  partition.addCommand(rootOptions(new Command('ls'))
    .description('list the partitions: path and group')
    .action(async (opts: PartitionCliOptions) => {
      const ps = await partitionList(opts)
      print(opts.json, { partitions: ps }, ps.length === 0 ? 'no partitions: everything lives in the root group' : ps.map(p => `${p.path}\t${p.group}\tinode ${p.ino}`).join('\n'))
    }))
  partition.addCommand(rootOptions(new Command('rm'))
    .description('remove the partition at PATH (only when its directory is empty)')
    .argument('<path>', 'the partition\'s path')
    .action(async (path: string, opts: PartitionCliOptions) => {
      await partitionRemove(path, opts)
      print(opts.json, { removed: path }, `partition ${path} removed`)
    }))
  return partition
}
