// Serving through fuse-native (libfuse 2, path-based): the portable fallback binding.
import type { Filesystem } from '../fs/filesystem'
import { caller, MeridianFuse } from './native'
import { fuseOps } from './ops'
import type { Served, ServeOptions } from './served'

export async function serveFuseNative(fs: Filesystem, mnt: string, opts: ServeOptions): Promise<Served> {
  const fuse = new MeridianFuse(mnt, fuseOps(fs, caller, opts.counts), {
    debug: opts.debug,
    defaultPermissions: opts.defaultPermissions,
    allowOther: opts.allowOther,
    fsname: `meridian:${fs.name}`,
    subtype: 'meridian',
    attrTimeout: opts.attrTimeout,
    entryTimeout: opts.entryTimeout,
    bigWrites: opts.bigWrites,
    kernelOptions: opts.kernelOptions,
    timeout: opts.timeoutMs,
  })
  await new Promise<void>((ok, fail) => fuse.mount(err => (err ? fail(err) : ok())))
  return {
    options: fuse.mountOptions(),
    stop: () => new Promise<void>((ok, fail) => fuse.unmount(err => (err ? fail(err) : ok()))),
  }
}
