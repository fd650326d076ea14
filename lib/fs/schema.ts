// The key layout of one filesystem in a metadata group, and every codec of its keys and values:
// nothing else in Meridian builds a key or parses a value by hand (fsck included). Everything
// lives under `fs/<name>/`; inode numbers are 14 hex digits (they stay below 2^53, see ino.ts)
// so that keys sort by inode.
//
//   fs/<name>/setting                  JSON Settings: layout version, block size, chunk size, pools, copies
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
//   fs/<name>/epoch                    decimal configuration epoch; every transaction compares it,
//                                      so one planned under an older configuration is refused
//   fs/<name>/txn/<txid>               a cross-group transaction's record, in its coordinator group
//                                      (while it runs, the keys it holds read as intent envelopes)
//   fs/<name>/fence                    while a snapshot is being cut: no cross-group transaction
//                                      may prepare in this group (bound to the snapshot's lease)
//   fs/<name>/commit/<sid>/<slot>      the marker of a session's last commit in that slot (random
//                                      bytes), bound to its lease: tells a retried commit it applied
//
// The root group alone also holds the configuration (each change bumps the epoch in every group):
//   fs/<name>/group/<group name>       JSON GroupRecord: the group's id and metadata URL
//   fs/<name>/partition/<path>         JSON PartitionRecord: the group a subtree lives in
//   fs/<name>/snapshot/<snapshot name> JSON record of a snapshot: each group's cut revision and
//                                      the blobs holding its metadata (lib/snapshot)
// and every other group holds
//   fs/<name>/member                   JSON MemberRecord: which filesystem and group this store is
//   fs/<name>/placement/...            pools, policies, their epoch, the replication queue:
//                                      laid out in lib/placement/keys.ts
//
// Symlink targets live in the inode record (they are short and read with the inode).
// Blob reference counts are not kept: GC marks blobs from the chunk keys and sweeps the
// pools (docs/filesystem.md says why).
import type { Extent } from '../data/extent'
import { ConfigError } from '../errors'

/** the width of an inode number in a key: 14 hex digits hold every number below 2^56 */
export const INO_HEX = 14
const CHUNK_HEX = 8
/** the version of this layout; a filesystem formatted with another one is refused at open */
export const LAYOUT = 2

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

/** Section names one kind of key: each starts with an inode number */
export type Section = 'i' | 'd' | 'c' | 'x' | 'gone'

/** KeyParts is a key of a section taken apart: the inode number it names and what follows its '/' */
export interface KeyParts {
  ino: number
  rest: string
}

export class Keys {
  readonly prefix: string
  constructor(readonly name: string) {
    this.prefix = `fs/${name}/`
  }
  setting(): string { return this.prefix + 'setting' }
  nextInode(): string { return this.prefix + 'next/inode' }
  /** section is the prefix every key of one kind starts with */
  section(s: Section): string { return `${this.prefix}${s}/` }
  inode(ino: number): string { return this.section('i') + hex(ino, INO_HEX) }
  entries(parent: number): string { return `${this.section('d')}${hex(parent, INO_HEX)}/` }
  entry(parent: number, name: string): string { return this.entries(parent) + name }
  chunks(ino: number): string { return `${this.section('c')}${hex(ino, INO_HEX)}/` }
  chunk(ino: number, index: number): string { return this.chunks(ino) + hex(index, CHUNK_HEX) }
  xattrs(ino: number): string { return `${this.section('x')}${hex(ino, INO_HEX)}/` }
  xattr(ino: number, name: string): string { return this.xattrs(ino) + name }
  session(sid: string): string { return `${this.prefix}session/${sid}` }
  opens(ino: number): string { return `${this.prefix}open/${hex(ino, INO_HEX)}/` }
  open(ino: number, sid: string): string { return this.opens(ino) + sid }
  goneAll(): string { return this.section('gone') }
  gone(ino: number): string { return this.goneAll() + hex(ino, INO_HEX) }
  locks(ino: number): string { return `${this.prefix}l/${hex(ino, INO_HEX)}` }
  epoch(): string { return this.prefix + 'epoch' }
  groups(): string { return this.prefix + 'group/' }
  group(name: string): string { return this.groups() + name }
  partitions(): string { return this.prefix + 'partition/' }
  partition(path: string): string { return this.partitions() + path }
  member(): string { return this.prefix + 'member' }
  txns(): string { return this.prefix + 'txn/' }
  fence(): string { return this.prefix + 'fence' }
  snapshots(): string { return this.prefix + 'snapshot/' }
  snapshot(name: string): string { return this.snapshots() + name }
  commitMarker(sid: string, slot: number): string { return `${this.prefix}commit/${sid}/${slot}` }

  /**
   * parse takes a key of section s apart; undefined when it does not start with a well-formed
   * inode number (rest is '' for keys that end with it: inodes, gone markers)
   */
  parse(s: Section, key: Buffer | string): KeyParts | undefined {
    const k = key.toString()
    const head = this.section(s)
    if (!k.startsWith(head)) return undefined
    const digits = k.slice(head.length, head.length + INO_HEX)
    if (!/^[0-9a-f]+$/.test(digits) || digits.length !== INO_HEX) return undefined
    const tail = k.slice(head.length + INO_HEX)
    if (tail !== '' && tail[0] !== '/') return undefined
    return { ino: parseInt(digits, 16), rest: tail.slice(1) }
  }

  /** inodeOf is the inode number of an inode key, undefined for any other key */
  inodeOf(key: string): number | undefined {
    const parts = this.parse('i', key)
    return parts && parts.rest === '' && !key.endsWith('/') ? parts.ino : undefined
  }

  /** chunkIndexOf is the chunk index a chunk key names, undefined for a malformed one */
  chunkIndexOf(key: Buffer | string): number | undefined {
    const rest = this.parse('c', key)?.rest
    return rest !== undefined && new RegExp(`^[0-9a-f]{${CHUNK_HEX}}$`).test(rest) ? parseInt(rest, 16) : undefined
  }
}

export const ROOT_INO = 1

/** Settings are written once by format and read by every mount. */
export interface Settings {
  name: string
  /** the key layout version (LAYOUT) */
  layout: number
  blockSize: number
  chunkSize: number
  /** pool name -> driver config, in order of preference */
  pools: Record<string, { driver: string; [field: string]: unknown }>
  /** copies that must be durable before close/fsync returns */
  copies: number
  createdMs: number
}

export function encodeSettings(s: Settings): string {
  return JSON.stringify(s)
}

/** decodeSettings reads the settings record; a ConfigError for one this version cannot mount */
export function decodeSettings(raw: Buffer): Settings {
  const s = JSON.parse(raw.toString()) as Settings
  if (s.layout !== LAYOUT) {
    throw new ConfigError('name', `filesystem '${s.name}' uses key layout ${s.layout ?? 1}; this Meridian reads layout ${LAYOUT} (format it again)`)
  }
  return s
}

/** A group of the filesystem, as the root group lists it */
export interface GroupRecord {
  name: string
  /** the high bits of its inode numbers (ino.ts) */
  id: number
  /** where its metadata store is (etcd://..., sqlite://...) */
  url: string
}

/** A partition: the subtree at path lives in group, from its top directory ino down */
export interface PartitionRecord {
  path: string
  group: string
  ino: number
}

/** What a group's own store says it is */
export interface MemberRecord {
  fs: string
  group: string
  id: number
}

/** encodeRecord and decodeRecord are the codecs of the JSON configuration records */
export function encodeRecord(r: GroupRecord | PartitionRecord | MemberRecord): string {
  return JSON.stringify(r)
}

export function decodeRecord<T extends GroupRecord | PartitionRecord | MemberRecord>(raw: Buffer): T {
  return JSON.parse(raw.toString()) as T
}

/**
 * A directory entry's value: the inode it names and that inode's type bits, and for an inode
 * of another group the clock of the entry's writer (causal reads)
 */
export interface EntryValue {
  ino: number
  type: number
  deps?: string
}

export function encodeEntry(e: EntryValue): string {
  return JSON.stringify(e.deps ? [e.ino, e.type, e.deps] : [e.ino, e.type])
}

/** decodeEntry reads an entry value; undefined for one that is not [ino, type] or [ino, type, clock] */
export function decodeEntry(raw: Buffer): EntryValue | undefined {
  try {
    const v = JSON.parse(raw.toString()) as unknown
    if (!Array.isArray(v) || v.length < 2 || v.length > 3 || !v.slice(0, 2).every(n => Number.isSafeInteger(n) && n >= 0)) return undefined
    if (v.length === 3 && typeof v[2] !== 'string') return undefined
    return { ino: v[0] as number, type: v[1] as number, deps: v[2] as string | undefined }
  } catch {
    return undefined
  }
}

export function encodeExtents(extents: Extent[]): string {
  return JSON.stringify(extents)
}

/** decodeExtents reads a chunk's layout (null, an absent key: an empty chunk) */
export function decodeExtents(raw: Buffer | null): Extent[] {
  return raw ? (JSON.parse(raw.toString()) as Extent[]) : []
}

/** decodeUntrusted parses a value without trusting its shape, for fsck (undefined when it is not JSON) */
export function decodeUntrusted(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString())
  } catch {
    return undefined
  }
}
