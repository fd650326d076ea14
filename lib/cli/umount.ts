// meridian umount <dir>: take a FUSE mount away (fusermount -u). A busy mount stays mounted
// unless --lazy, which then detaches it (fusermount -uz): gone from the namespace at once,
// finished when its last user lets go. The serving process notices and exits by itself.
import { resolve } from 'node:path'
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { fusermount, isMounted } from '../fuse/mounts'
import { print } from './run'

export interface UmountOptions {
  lazy?: boolean
  json?: boolean
}

export async function umount(dir: string, opts: UmountOptions = {}): Promise<{ dir: string; lazy: boolean }> {
  const abs = resolve(dir)
  if (!isMounted(abs)) throw new ConfigError('dir', `${abs} is not a FUSE mountpoint`)
  try {
    await fusermount(['-u', abs])
    return { dir: abs, lazy: false }
  } catch (err) {
    const message = (err as Error).message
    if (!/busy/i.test(message)) throw new ConfigError('dir', `${abs}: ${message}`)
    if (!opts.lazy) throw new ConfigError('dir', `${abs} is busy (use --lazy to detach it anyway)`)
    await fusermount(['-uz', abs])
    return { dir: abs, lazy: true }
  }
}

export function umountCommand(): Command {
  return new Command('umount')
    .description('unmount a Meridian mount (fusermount -u)')
    .argument('<dir>', 'the mountpoint')
    .option('--lazy', 'when busy, detach now and finish when the last user lets go (fusermount -uz)')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: UmountOptions) => {
      const r = await umount(dir, opts)
      print(opts.json, { ...r }, `meridian: unmounted ${r.dir}${r.lazy ? ' (lazily: it was busy)' : ''}`)
    })
}
