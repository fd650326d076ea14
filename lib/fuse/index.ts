// The FUSE edge: serve a lib/fs Filesystem on a directory through our libfuse 3 low-level
// binding (default) or fuse-native (libfuse 2).
export { Mount, type MountOptions } from './mount'
export { fuseMounts, isMounted, isStale, recoverStale, remountDir, unmountDir, type MountEntry } from './mounts'
export { errnoOf, fuseOps, type OpCounts } from './ops'
export { BINDINGS, DEFAULT_BINDING, type BindingName } from './served'
