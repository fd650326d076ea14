// The metadata groups of one filesystem as a mount sees them: the root group, opened at start,
// and every other group opened the first time an inode of it is met (its inode number names
// it, ino.ts), from the group list in the root group. Stores opened here are released here.
import { EIO } from '../errors'
import { log } from '../log'
import type { MetaStore } from '../meta/store'
import { Group, type GroupOptions } from './group'
import { groupOf, ROOT_GROUP } from './ino'
import type { InodeCache } from './inode-cache'
import { decodeRecord, type GroupRecord, type Keys } from './schema'

/** An OpenedGroup is a group's store and the way to give it back */
export interface OpenedGroup {
  store: MetaStore
  release(): Promise<void>
}

/** A GroupOpener opens the store at a group's metadata URL (lib/client shares one per URL in a process) */
export type GroupOpener = (url: string) => Promise<OpenedGroup>

export class Groups {
  private readonly opened = new Map<number, Promise<Group>>()
  private readonly owned: OpenedGroup[] = []
  private closed = false

  private constructor(
    readonly root: Group,
    private readonly rootStore: MetaStore,
    private readonly keys: Keys,
    private readonly inodes: InodeCache,
    private readonly opts: GroupOptions,
    private readonly opener: GroupOpener | undefined,
  ) {
    this.opened.set(ROOT_GROUP, Promise.resolve(root))
  }

  static async start(rootStore: MetaStore, keys: Keys, inodes: InodeCache, opts: GroupOptions, opener?: GroupOpener): Promise<Groups> {
    const root = await Group.open(ROOT_GROUP, rootStore, keys, inodes, opts)
    return new Groups(root, rootStore, keys, inodes, opts, opener)
  }

  /** of is the group that holds inode ino */
  of(ino: number): Promise<Group> {
    return this.byId(groupOf(ino))
  }

  byId(id: number): Promise<Group> {
    let group = this.opened.get(id)
    if (!group) {
      group = this.openGroup(id)
      this.opened.set(id, group)
      // a failed open is tried again next time (the group may be unreachable for a moment)
      group.catch(() => this.opened.delete(id))
    }
    return group
  }

  /** list reads the groups the root group lists, root excluded */
  async list(): Promise<GroupRecord[]> {
    const { kvs } = await this.rootStore.range(this.keys.groups())
    return kvs.map(kv => decodeRecord<GroupRecord>(kv.value))
  }

  private async openGroup(id: number): Promise<Group> {
    const record = (await this.list()).find(g => g.id === id)
    if (!record || !this.opener) throw EIO(`group ${id} is not a group of filesystem '${this.keys.name}'`)
    const opened = await this.opener(record.url)
    if (this.closed) {
      await opened.release()
      throw EIO('the filesystem is closed')
    }
    this.owned.push(opened)
    try {
      const group = await Group.open(id, opened.store, this.keys, this.inodes, this.opts)
      await this.opts.opened?.(group)
      return group
    } catch (err) {
      log.warn({ err, group: record.name }, 'groups: opening a group failed')
      throw err
    }
  }

  /** ready lists the groups opened so far */
  async ready(): Promise<Group[]> {
    return Promise.all([...this.opened.values()].map(g => g.catch(() => undefined))).then(gs => gs.filter((g): g is Group => g !== undefined))
  }

  /** sync makes what every open group committed durable */
  async sync(): Promise<void> {
    for (const g of await this.ready()) await g.store.sync()
  }

  /** close ends the mount's sessions in every group and closes the stores opened here; idempotent */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const g of await this.ready()) await g.close()
    for (const opened of this.owned) await opened.release().catch(() => undefined)
  }
}
