// The key layout of one filesystem in a metadata group. Everything lives under
// `fs/<name>/`; inode numbers are 12 hex digits so that keys sort by inode.
//
//   fs/<name>/setting                  JSON Settings: block size, chunk size, pools, copies
//   fs/<name>/next/inode               next unallocated inode number (decimal); taken in batches
//   fs/<name>/i/<ino>                  JSON Inode: type, mode, owner, size, times, nlink, ...
//   fs/<name>/d/<parent ino>/<name>    JSON [child ino, child type bits]: one directory entry
//   fs/<name>/c/<ino>/<chunk index>    JSON Extent[] of one chunk (8 hex digits), see lib/data/extent
//   fs/<name>/x/<ino>/<xattr name>     raw value of one extended attribute
//   fs/<name>/session/<sid>            JSON session record, bound to the session's lease
//   fs/<name>/open/<ino>/<sid>         a session holds an unlinked inode open; bound to its lease
//   fs/<name>/gone/<ino>               an inode with no names left, kept while someone has it open
//   fs/<name>/l/<ino>                  JSON Lock[]: flock and POSIX locks on the inode; a lock
//                                      whose session key is gone (lease expired) no longer counts
//   fs/<name>/placement/...            pools, policies, their epoch, the replication queue:
//                                      laid out in lib/placement/keys.ts
//
// Symlink targets live in the inode record (they are short and read with the inode).
// Blob reference counts are not kept: GC marks blobs from the chunk keys and sweeps the
// pools (docs/filesystem.md says why).

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

export class Keys {
  readonly prefix: string
  constructor(readonly name: string) {
    this.prefix = `fs/${name}/`
  }
  setting(): string { return this.prefix + 'setting' }
  nextInode(): string { return this.prefix + 'next/inode' }
  inode(ino: number): string { return `${this.prefix}i/${hex(ino, 12)}` }
  /** inodeOf is the inode number of an inode key, undefined for any other key */
  inodeOf(key: string): number | undefined {
    const head = `${this.prefix}i/`
    return key.length === head.length + 12 && key.startsWith(head) ? parseInt(key.slice(head.length), 16) : undefined
  }
  entries(parent: number): string { return `${this.prefix}d/${hex(parent, 12)}/` }
  entry(parent: number, name: string): string { return this.entries(parent) + name }
  chunks(ino: number): string { return `${this.prefix}c/${hex(ino, 12)}/` }
  chunk(ino: number, index: number): string { return this.chunks(ino) + hex(index, 8) }
  xattrs(ino: number): string { return `${this.prefix}x/${hex(ino, 12)}/` }
  xattr(ino: number, name: string): string { return this.xattrs(ino) + name }
  session(sid: string): string { return `${this.prefix}session/${sid}` }
  opens(ino: number): string { return `${this.prefix}open/${hex(ino, 12)}/` }
  open(ino: number, sid: string): string { return this.opens(ino) + sid }
  goneAll(): string { return `${this.prefix}gone/` }
  gone(ino: number): string { return this.goneAll() + hex(ino, 12) }
  locks(ino: number): string { return `${this.prefix}l/${hex(ino, 12)}` }
}

export const ROOT_INO = 1

/** Settings are written once by format and read by every mount. */
export interface Settings {
  name: string
  blockSize: number
  chunkSize: number
  /** pool name -> driver config, in order of preference */
  pools: Record<string, { driver: string; [field: string]: unknown }>
  /** copies that must be durable before close/fsync returns */
  copies: number
  createdMs: number
}
