// meridian snapshot rm NAME: forget a snapshot; gc deletes the blobs only it kept, after the grace period.
import { Command } from 'commander'
import { getSnapshot, removeSnapshot } from '../snapshot/catalogue'
import { rootOptions, withRoot, type GroupCliOptions } from './group'
import { print } from './run'

export function snapshotRmCommand(): Command {
  return rootOptions(new Command('rm'))
    .description('remove a snapshot (meridian gc then frees the blobs only it kept)')
    .argument('<snapshot>', 'the snapshot\'s name')
    .action(async (name: string, opts: GroupCliOptions) => {
      await withRoot(opts, async (root, keys) => {
        await getSnapshot(root, keys.name, name) // an unknown name fails as a one-line 'snapshot:' error
        await removeSnapshot(root, keys.name, name)
      })
      print(opts.json, { removed: name }, `snapshot ${name} removed`)
    })
}
