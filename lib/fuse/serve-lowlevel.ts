// Serving through Meridian's own binding of libfuse 3's low-level API (lib/fuse/lowlevel/).
import { stat, writeFile } from 'node:fs/promises'
import type { Filesystem } from '../fs/filesystem'
import { DEFAULTS } from '../config/tunables'
import { log } from '../log'
import { addon } from './lowlevel/addon'
import { LowlevelOps } from './lowlevel-ops'
import { unmountDir } from './mounts'
import type { Served, ServeOptions } from './served'

/**
 * raiseReadAhead: the kernel takes the smaller of the read-ahead the filesystem asks for and
 * its per-device default (128 KiB), so a sequential read would still arrive in 128 KiB
 * requests; root may raise the device's own (best effort: others keep 128 KiB). The default
 * (tuning kernel-read-ahead, 1 MiB) is as large as one request (max_readahead in binding.cc)
 */
async function raiseReadAhead(mnt: string, bytes: number): Promise<void> {
  try {
    const { dev } = await stat(mnt)
    const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00)
    await writeFile(`/sys/class/bdi/0:${minor}/read_ahead_kb`, String(Math.ceil(bytes / 1024)))
  } catch (err) {
    log.debug({ dir: mnt, err: (err as Error).message }, 'read-ahead stays at the kernel default')
  }
}

/** how long stop() waits for the receive loop to end after the unmount (it ends at once unless the mount was busy and detached lazily) */
const EXIT_WAIT_MS = 5_000

export async function serveLowlevel(fs: Filesystem, mnt: string, opts: ServeOptions): Promise<Served> {
  const native = addon()
  const ops = new LowlevelOps(fs, native, {
    entryTimeout: opts.entryTimeout,
    attrTimeout: opts.attrTimeout,
    negativeTimeout: opts.negativeTimeout,
    counts: opts.counts,
    writebackCache: opts.writebackCache,
  })
  const mountOpts = [`fsname=meridian:${fs.name}`, 'subtype=meridian', ...opts.kernelOptions]
  if (opts.defaultPermissions) mountOpts.push('default_permissions')
  if (opts.allowOther) mountOpts.push('allow_other')
  const args = ['-o', mountOpts.join(','), ...(opts.debug ? ['-d'] : [])]
  const session = native.mount(mnt, args, opts.timeoutMs, ops.handle, opts.writebackCache ?? false)
  ops.attach(session)
  await raiseReadAhead(mnt, opts.readAheadBytes ?? DEFAULTS['kernel-read-ahead'])
  return {
    options: args.join(' '),
    stop: async () => {
      // the receive loop ends when the kernel ends the connection; stopping it first instead
      // would make libfuse unmount by itself, racing this unmount
      await unmountDir(mnt, { lazy: true })
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<boolean>(done => (timer = setTimeout(() => done(true), EXIT_WAIT_MS)))
      if (await Promise.race([ops.ended.then(() => false), late])) {
        log.warn({ dir: mnt }, 'unmounted lazily: still serving open files until they are closed')
      }
      clearTimeout(timer)
    },
  }
}
