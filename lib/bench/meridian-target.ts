// The Meridian targets: a fresh filesystem (a local pool in the scratch directory; metadata in
// a fresh embedded store there, or in the store given), mounted through FUSE in this process
// with one binding: 'meridian' through the low-level binding, 'fuse-native' through fuse-native.
// The workloads run in worker processes; this process only serves the mount. cool() remounts
// with a new session of the filesystem, which drops both the kernel's cache of the mount and
// Meridian's own read cache, then drops the page cache (the pool's blob files).
import { openFilesystem } from '../client/open'
import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Filesystem } from '../fs/filesystem'
import { Mount } from '../fuse/mount'
import type { BindingName } from '../fuse/served'
import { fusermount, isMounted } from '../fuse/mounts'
import type { OpCounts } from '../fuse/ops'
import { openStore, type MetaStore } from '../meta'
import { coolness, dropCaches } from './caches'
import { countCalls } from './counted-store'
import type { Target } from './targets'
import type { Teardown } from './teardown'

export interface MeridianTarget extends Target {
  /** the metadata store the mount uses (the raw etcd target shares it for its cleanup) */
  store: MetaStore
  /** the store's URL */
  url: string
}

/** meridianTarget formats and mounts a fresh filesystem on root/<target name>; teardown unmounts and removes it */
export async function meridianTarget(root: string, meta: string | undefined, teardown: Teardown, binding: BindingName): Promise<MeridianTarget> {
  const target = binding === 'fuse-native' ? 'fuse-native' : 'meridian'
  const dir = join(root, target)
  const url = meta ?? `sqlite://${join(root, `meta-${target}.db`)}`
  const name = `bench-${randomUUID().slice(0, 8)}`
  await mkdir(dir)
  const store = await openStore(url, { deadlineMs: 15_000 })
  teardown.add('close the metadata store', () => store.close())
  // a given store outlives the bench: the filesystem's keys go (its blobs go with the scratch dir)
  if (meta !== undefined) teardown.add('remove the bench filesystem', () => store.txn([], [{ type: 'deletePrefix', prefix: `fs/${name}/` }]))
  await Filesystem.format(store, { name, pools: { local: { driver: 'local', path: join(root, `pool-${target}`) } } })

  let fs: Filesystem | undefined
  let mount: Mount | undefined
  const served: OpCounts = {}
  const storeCalls: OpCounts = {}
  const unmount = async () => {
    try {
      for (const [op, n] of Object.entries(mount?.counts ?? {})) served[op] = (served[op] ?? 0) + n
      await mount?.unmount()
    } finally {
      mount = undefined
      if (isMounted(dir)) await fusermount(['-uz', dir])
      await fs?.close()
    }
  }
  const open = async () => {
    fs = await openFilesystem(countCalls(store, storeCalls), { name })
    mount = await Mount.mount(fs, dir, { binding })
  }
  teardown.mountpoint(dir)
  teardown.add('unmount Meridian', unmount)
  await open()

  return {
    name: target,
    spec: { kind: 'posix', dir },
    store,
    url,
    cool: async () => {
      await unmount()
      await open()
      return coolness(true, await dropCaches(root))
    },
    counts: () => {
      const all = { ...served }
      for (const [op, n] of Object.entries(mount?.counts ?? {})) all[op] = (all[op] ?? 0) + n
      return all
    },
    storeCounts: () => ({ ...storeCalls }),
  }
}
