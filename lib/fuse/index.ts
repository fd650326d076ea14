// The FUSE edge: serve a lib/fs Filesystem on a directory through fuse-native (libfuse 2).
export { Mount, type MountOptions } from './mount'
export { fuseMounts, isMounted, isStale, recoverStale, remountDir, unmountDir, type MountEntry } from './mounts'
export { errnoOf, fuseOps, type OpCounts } from './ops'
