// Who is calling: fuse-native as shipped does not pass the request's uid/gid/pid; our patch of
// it (lib/fuse/fuse-native.patch) records them on the FUSE thread and exposes the caller of
// the op whose handler is running as fuse_native_caller(). Supplementary groups come from
// /proc/<pid>/status, cached briefly per process. The umask comes with creating ops (the kernel
// leaves applying it to us: FUSE_CAP_DONT_MASK, set by the patch).
import { readFileSync } from 'node:fs'
import { LRUCache } from 'lru-cache'
import type { Identity } from '../fs/types'

interface CallerBinding {
  fuse_native_caller?(): [number, number, number, number?]
}

const groupsOf = new LRUCache<number, number[]>({ max: 1024, ttl: 1000 })

/** groups are the supplementary groups of process pid, from /proc (cached for a second) */
export function groups(pid: number): number[] {
  let g = groupsOf.get(pid)
  if (g === undefined) {
    try {
      const line = /^Groups:(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? ''
      g = line.trim().split(/\s+/).filter(Boolean).map(Number)
    } catch {
      g = [] // the process is gone already
    }
    groupsOf.set(pid, g)
  }
  return g
}

/** callerOf returns a function that tells the identity of the op being handled, from the binding. */
export function callerOf(binding: CallerBinding): () => Identity {
  const read = binding.fuse_native_caller
  if (!read) throw new Error('fuse-native is not patched: run npm install (lib/fuse/patch-native.sh)')
  return () => {
    const [uid, gid, pid, umask] = read()
    return { uid, gid, groups: groups(pid), umask }
  }
}
