// Serving through Meridian's own binding of libfuse 3's low-level API (lib/fuse/lowlevel/).
import type { Filesystem } from '../fs/filesystem'
import { log } from '../log'
import { addon } from './lowlevel/addon'
import { LowlevelOps } from './lowlevel-ops'
import { unmountDir } from './mounts'
import type { Served, ServeOptions } from './served'

/** how long stop() waits for the receive loop to end after the unmount (it ends at once unless the mount was busy and detached lazily) */
const EXIT_WAIT_MS = 5_000

export async function serveLowlevel(fs: Filesystem, mnt: string, opts: ServeOptions): Promise<Served> {
  const native = addon()
  const ops = new LowlevelOps(fs, native, {
    entryTimeout: opts.entryTimeout,
    attrTimeout: opts.attrTimeout,
    negativeTimeout: opts.negativeTimeout,
    counts: opts.counts,
  })
  const mountOpts = ['default_permissions', `fsname=meridian:${fs.name}`, 'subtype=meridian']
  if (opts.allowOther) mountOpts.push('allow_other')
  const args = ['-o', mountOpts.join(','), ...(opts.debug ? ['-d'] : [])]
  const session = native.mount(mnt, args, opts.timeoutMs, ops.handle)
  ops.attach(session)
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
