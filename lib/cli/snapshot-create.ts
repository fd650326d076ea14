// meridian snapshot create NAME: a consistent cut of every group of the filesystem, kept as
// page blobs in its pools and recorded in its root group (lib/snapshot). With the embedded
// engine the store belongs to one process: take snapshots while it is not mounted.
import { Command } from 'commander'
import { BlobStore } from '../data/blob-store'
import { openPlacedPools } from '../placement/placed-pools'
import { createSnapshot, type SnapshotRecord } from '../snapshot/catalogue'
import { rootOptions, withRoot, type GroupCliOptions } from './group'
import { print } from './run'
import { describe } from './snapshot-ls'

export function snapshotCreate(name: string, opts: GroupCliOptions): Promise<SnapshotRecord> {
  return withRoot(opts, async (root, keys) => {
    const { pools, placement } = await openPlacedPools(root, keys.name)
    const blobs = new BlobStore(pools, { placement })
    try {
      return await createSnapshot(root, keys.name, name, blobs)
    } finally {
      await blobs.close()
    }
  })
}

export function snapshotCreateCommand(): Command {
  return rootOptions(new Command('create'))
    .description('record a consistent snapshot of the whole filesystem, every group at once')
    .argument('<snapshot>', 'its name: 1-64 letters, digits, ".", "_" or "-"')
    .action(async (name: string, opts: GroupCliOptions) => {
      const s = await snapshotCreate(name, opts)
      print(opts.json, { ...s }, `snapshot ${describe(s)}`)
    })
}
