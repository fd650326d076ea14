// Reading one file's metadata straight from the stores, for the read-only commands (info,
// explain): the path walked by its directory entries, each looked up in the group of its
// parent, and the inode and chunk layout read from the inode's own group. Nothing is written:
// no session is started, unlike a mount.
import type { Extent } from '../data/extent'
import { ConfigError } from '../errors'
import { listGroups } from '../fs/config'
import { groupOf, ROOT_GROUP } from '../fs/ino'
import { decodeInode, isDir, type Inode } from '../fs/inode'
import { decodeEntry, decodeExtents, Keys, ROOT_INO } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import { READ_ONLY, reach } from './group'

/** GroupStores opens each group's store once, when a walk first needs it */
export class GroupStores {
  private readonly open = new Map<number, MetaStore>()
  private names?: Map<number, { name: string; url: string }>

  constructor(private readonly root: MetaStore, private readonly keys: Keys) {}

  /** name is the group's name ('root' for the root group) */
  async name(id: number): Promise<string> {
    return id === ROOT_GROUP ? 'root' : ((await this.records()).get(id)?.name ?? `#${id}`)
  }

  async of(id: number): Promise<MetaStore> {
    if (id === ROOT_GROUP) return this.root
    const known = this.open.get(id)
    if (known) return known
    const record = (await this.records()).get(id)
    if (!record) throw new ConfigError('path', `group ${id} is not in the configuration (fsck can tell more)`)
    const store = await reach(record.url, READ_ONLY)
    this.open.set(id, store)
    return store
  }

  async close(): Promise<void> {
    for (const s of this.open.values()) await s.close()
    this.open.clear()
  }

  private async records(): Promise<Map<number, { name: string; url: string }>> {
    this.names ??= new Map((await listGroups(this.root, this.keys)).map(g => [g.id, g]))
    return this.names
  }
}

export interface Located {
  path: string
  ino: number
  /** the group holding the inode */
  group: number
  inode: Inode
}

/** locate walks path (normalized, from /) to its inode */
export async function locate(stores: GroupStores, keys: Keys, path: string): Promise<Located> {
  let ino = ROOT_INO
  let inode = await readInode(stores, keys, ino, path)
  for (const name of path.split('/').filter(Boolean)) {
    if (!isDir(inode)) throw new ConfigError('path', `${path}: a component is not a directory`)
    const { kv } = await (await stores.of(groupOf(ino))).get(keys.entry(ino, name))
    if (!kv) throw new ConfigError('path', `${path}: no such file or directory`)
    const entry = decodeEntry(kv.value)
    if (!entry) throw new ConfigError('path', `${path}: '${name}' is being changed by a transaction; try again`)
    ino = entry.ino
    inode = await readInode(stores, keys, ino, path)
  }
  return { path, ino, group: groupOf(ino), inode }
}

async function readInode(stores: GroupStores, keys: Keys, ino: number, path: string): Promise<Inode> {
  const { kv } = await (await stores.of(groupOf(ino))).get(keys.inode(ino))
  if (!kv) throw new ConfigError('path', `${path}: inode ${ino} is missing (fsck can tell more)`)
  return decodeInode(kv.value)
}

export interface Chunk {
  index: number
  extents: Extent[]
}

/** chunksOf reads the chunk layout of a file from its group */
export async function chunksOf(stores: GroupStores, keys: Keys, at: Located): Promise<Chunk[]> {
  if (isDir(at.inode)) return []
  const { kvs } = await (await stores.of(at.group)).range(keys.chunks(at.ino))
  return kvs.map(kv => ({ index: keys.chunkIndexOf(kv.key) ?? -1, extents: decodeExtents(kv.value) })).filter(c => c.index >= 0)
}

/** blobsOf: each blob of the chunks once, with the first file bytes it holds */
export function blobsOf(chunks: Chunk[], chunkSize: number): Map<string, { offset: number; length: number }> {
  const seen = new Map<string, { offset: number; length: number }>()
  for (const c of chunks) {
    for (const e of c.extents) if (!seen.has(e.blob)) seen.set(e.blob, { offset: c.index * chunkSize + e.off, length: e.len })
  }
  return seen
}
