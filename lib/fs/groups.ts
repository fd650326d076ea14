// The metadata groups of one filesystem as a mount sees them: the root group, opened at start,
// and every other group opened the first time an inode of it is met (its inode number names
// it, ino.ts), from the group list in the root group. Stores opened here are released here.
// An operation over several groups runs as one cross-group transaction (lib/txn) when it
// writes in more than one; whoever meets its intents settles them from its record.
import { setTimeout as sleep } from 'node:timers/promises'
import { EIO } from '../errors'
import { log } from '../log'
import type { MetaStore } from '../meta/store'
import { crossGroupCommit } from '../txn/commit'
import type { Intent } from '../txn/intent'
import { resolveIntent } from '../txn/resolve'
import { Group, type GroupOptions } from './group'
import { groupOf, ROOT_GROUP } from './ino'
import type { InodeCache } from './inode-cache'
import { decodeRecord, type GroupRecord, type Keys } from './schema'
import { attempts, Tx } from './tx'

/** how long a cross-group transaction waits for a snapshot's fence to go, and how often it looks */
const FENCE_WAIT_MS = 15_000
const FENCE_POLL_MS = 20

/** TxFor gives an operation over several groups its transaction in the group of an inode */
export type TxFor = (ino: number) => Promise<Tx>

/** An OpenedGroup is a group's store and the way to give it back */
export interface OpenedGroup {
  store: MetaStore
  release(): Promise<void>
}

/** A GroupOpener opens the store of a group at its metadata URL (lib/client shares one per URL in a process) */
export type GroupOpener = (group: GroupRecord) => Promise<OpenedGroup>

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
    private readonly crossTimeoutMs: number | undefined,
  ) {
    this.opened.set(ROOT_GROUP, Promise.resolve(root))
  }

  /** crossTimeoutMs: how long a cross-group transaction may stay pending before others may abort it (lib/txn's default) */
  static async start(
    rootStore: MetaStore, keys: Keys, inodes: InodeCache, opts: Omit<GroupOptions, 'resolve'>, opener?: GroupOpener, crossTimeoutMs?: number,
  ): Promise<Groups> {
    let groups: Groups | undefined
    const full: GroupOptions = { ...opts, resolve: intent => groups!.resolve(intent) }
    const root = await Group.open(ROOT_GROUP, rootStore, keys, inodes, full)
    groups = new Groups(root, rootStore, keys, inodes, full, opener, crossTimeoutMs)
    return groups
  }

  /**
   * transact runs fn over the groups it asks for (txFor), each read guarded in its group, until
   * a run commits: as one store transaction when it writes in one group only, as a cross-group
   * transaction when it writes in several. Reads in a group it does not write in are not
   * guarded by the commit; fn must read only what it may rely on unguarded there.
   */
  transact<T>(what: string, fn: (txFor: TxFor) => Promise<T>): Promise<T> {
    return attempts<T, Map<number, Tx>>(what, intent => this.resolve(intent), async before => {
      const parts = new Map<number, Tx>()
      const txFor: TxFor = async ino => {
        const g = await this.of(ino)
        let tx = parts.get(g.id)
        if (!tx) {
          tx = new Tx(g.store, before?.get(g.id), g.session.markers)
          parts.set(g.id, tx)
          await g.guard(tx)
        }
        return tx
      }
      const value = await fn(txFor)
      const writers = [...parts].filter(([, tx]) => !tx.empty)
      if (writers.length === 0) return { done: true, value }
      if (writers.length === 1 ? await writers[0][1].commit() : await this.commitAcross(writers)) return { done: true, value }
      return { done: false, read: parts }
    })
  }

  /** commitAcross commits the writes of several groups atomically; false on a conflict (run again) */
  private async commitAcross(writers: Array<[number, Tx]>): Promise<boolean> {
    const stores = await this.storesByName(writers.map(([id]) => id))
    const epoch = this.keys.epoch()
    // a snapshot being cut fences every group (lib/snapshot/fence.ts): no prepare while it stands
    const unfenced = { key: this.keys.fence(), target: 'create' as const, op: '=' as const, value: 0 }
    const participants = writers.map(([id, tx]) => {
      const { compares, ops } = tx.plan()
      return {
        group: String(id),
        // the epoch is checked, not locked: every transaction of the group compares it
        compares: compares.filter(c => c.key !== epoch),
        guards: [...compares.filter(c => c.key === epoch), unfenced],
        ops: ops.filter((op): op is Exclude<typeof op, { type: 'get' }> => op.type !== 'get'),
      }
    })
    const coordinator = await this.byId(writers[0][0])
    const slot = coordinator.session.markers.take()
    let res
    try {
      res = await crossGroupCommit(name => stores.get(name)!, String(coordinator.id), participants, {
        recordPrefix: this.keys.txns(), timeoutMs: this.crossTimeoutMs, marker: { key: slot.key, lease: slot.lease },
      })
    } finally {
      slot.release()
    }
    if (res.outcome === 'conflict' && res.intent) await this.resolve(res.intent)
    else if (res.outcome === 'conflict') await this.fenceLifted(stores.get(res.group)!)
    return res.outcome === 'committed'
  }

  /** fenceLifted waits while a snapshot fences the group (its fence lease bounds the wait) */
  private async fenceLifted(store: MetaStore): Promise<void> {
    const giveUp = Date.now() + FENCE_WAIT_MS
    while ((await store.get(this.keys.fence())).kv && Date.now() < giveUp) await sleep(FENCE_POLL_MS)
  }

  /** resolve settles the cross-group transaction of an intent met (waiting for it while it is live) */
  async resolve(intent: Intent): Promise<void> {
    const all = await this.list()
    const stores = await this.storesByName([ROOT_GROUP, ...all.map(g => g.id)])
    await resolveIntent(name => {
      const store = stores.get(name)
      if (!store) throw EIO(`intent of transaction ${intent.txid} names group ${name}, which this filesystem does not list`)
      return store
    }, intent, { wait: true })
  }

  /** storesByName opens the groups of ids: group name (its id in decimal) -> store */
  private async storesByName(ids: number[]): Promise<Map<string, MetaStore>> {
    return new Map(await Promise.all(ids.map(async id => [String(id), (await this.byId(id)).store] as const)))
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
    const opened = await this.opener(record)
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
