// What the workloads run against: the Meridian mount (through our low-level binding, and
// through fuse-native), the local disk, a bindfs mount of the local disk, and (metadata only)
// raw etcd. Each target says how to reach it from a worker and
// how to drop its caches before a cold read.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { OpCounts } from '../fuse/ops'
import type { MetaStore } from '../meta/store'
import { coolness, dropCaches } from './caches'
import type { TargetSpec } from './job'
import type { Teardown } from './teardown'

/** 'meridian' is the mount through the default (low-level) binding, 'fuse-native' the same through fuse-native */
export type TargetName = 'meridian' | 'fuse-native' | 'local' | 'bindfs' | 'etcd'

export interface Target {
  name: TargetName
  spec: TargetSpec
  /** cool drops what caches it can before a cold read, and says what it did */
  cool(): Promise<string>
  /** FUSE requests served so far, by op (Meridian only) */
  counts?(): OpCounts
  /** metadata store calls made so far, by kind (Meridian only; see counted-store.ts) */
  storeCounts?(): OpCounts
}

/** localTarget is a plain directory on the disk that holds the pool and the scratch files */
export async function localTarget(root: string): Promise<Target> {
  const dir = join(root, 'local')
  await mkdir(dir)
  return { name: 'local', spec: { kind: 'posix', dir }, cool: async () => coolness(false, await dropCaches(root)) }
}

/** etcdTarget is raw transactions under a throwaway filesystem name in store, removed at teardown */
export function etcdTarget(url: string, store: MetaStore, fsName: string, teardown: Teardown): Target {
  teardown.add('remove the raw etcd keys', () => store.txn([], [{ type: 'deletePrefix', prefix: `fs/${fsName}/` }]))
  return { name: 'etcd', spec: { kind: 'etcd', url, fsName }, cool: async () => 'none (no data)' }
}
