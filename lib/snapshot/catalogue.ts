// The snapshots of a filesystem, recorded in its root group under fs/<name>/snapshot/<name>:
//   {"v":1,"name":..,"created":<ms since epoch>,"groups":{"<group id>":{"revision":..,"keys":..,"pages":[blob id..]}}}
// Creating one takes a consistent cut of every group (cut.ts), stores each group's keys as
// page blobs in the pools, makes them durable, and only then records the snapshot, so that a
// recorded snapshot always has its pages. Loading one gives each group back as a store in
// memory, for a read-only mount or for gc's walk of what the snapshot references.
import type { PoolDriver } from '../../drivers/driver'
import { holds } from '../data/blob-id'
import { ConfigError, EEXIST, ENOENT, EIO } from '../errors'
import { listGroups } from '../fs/config'
import { ROOT_GROUP } from '../fs/ino'
import { Keys } from '../fs/schema'
import { openStore } from '../meta'
import { EmbeddedStore } from '../meta/embedded'
import { limits, type MetaStore, type Op } from '../meta/store'
import { takeCut } from './cut'
import { decodePage, encodePages } from './pages'

export interface SnapshotRecord {
  name: string
  created: number
  groups: Record<string, { revision: number; keys: number; pages: string[] }>
}

/** where pages go and come from: a BlobStore, or the pools' drivers */
export interface PageStore {
  put(data: Buffer): Promise<string>
  sync(): Promise<void>
}
export type ReadBlob = (id: string) => Promise<Buffer>

/** readFromPools reads a blob from the first pool that holds a copy matching its hash */
export function readFromPools(drivers: PoolDriver[]): ReadBlob {
  return async id => {
    for (const driver of drivers) {
      const data = await driver.get(id).catch(() => undefined)
      if (data && (await holds(id, data))) return data
    }
    throw EIO(`blob ${id}: no pool holds a good copy`)
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const VERSION = 1
const GROUP_DEADLINE_MS = 5_000

/** how a snapshot taker opens a further group's store: by default a store of its own (lib/client shares one per process) */
export type StoreOpener = (url: string) => Promise<{ store: MetaStore; release(): Promise<void> }>

const ownStore: StoreOpener = async url => {
  const store = await openStore(url, { deadlineMs: GROUP_DEADLINE_MS })
  return { store, release: () => store.close() }
}

/** createSnapshot cuts every group of filesystem fsName and records the cut as snapshot `name` */
export async function createSnapshot(root: MetaStore, fsName: string, name: string, pages: PageStore, open = ownStore): Promise<SnapshotRecord> {
  if (!NAME.test(name)) throw new ConfigError('snapshot', `'${name}' must be 1-64 letters, digits, '.', '_' or '-'`)
  const keys = new Keys(fsName)
  if ((await root.get(keys.snapshot(name))).kv) throw EEXIST(`snapshot '${name}' exists already`)
  const stores = new Map<string, MetaStore>([[String(ROOT_GROUP), root]])
  const opened: Array<{ release(): Promise<void> }> = []
  try {
    for (const g of await listGroups(root, keys)) {
      const group = await open(g.url)
      opened.push(group)
      stores.set(String(g.id), group.store)
    }
    const cut = await takeCut(stores, keys)
    const record: SnapshotRecord = { name, created: Date.now(), groups: {} }
    for (const [g, { revision, kvs }] of cut) {
      const ids: string[] = []
      for (const page of encodePages(kvs)) ids.push(await pages.put(page))
      record.groups[g] = { revision, keys: kvs.length, pages: ids }
    }
    await pages.sync()
    const key = keys.snapshot(name)
    const res = await root.txn([{ key, target: 'create', op: '=', value: 0 }], [{ type: 'put', key, value: JSON.stringify({ v: VERSION, ...record }) }])
    if (!res.succeeded) throw EEXIST(`snapshot '${name}' exists already`)
    return record
  } finally {
    for (const g of opened) await g.release()
  }
}

export async function listSnapshots(root: MetaStore, fsName: string): Promise<SnapshotRecord[]> {
  const { kvs } = await root.range(new Keys(fsName).snapshots())
  return kvs.map(kv => decodeSnapshot(kv.key.toString(), kv.value))
}

export async function getSnapshot(root: MetaStore, fsName: string, name: string): Promise<SnapshotRecord> {
  const key = new Keys(fsName).snapshot(name)
  const { kv } = await root.get(key)
  if (!kv) throw new ConfigError('snapshot', `no snapshot '${name}' in filesystem '${fsName}'`)
  return decodeSnapshot(key, kv.value)
}

/** removeSnapshot forgets a snapshot; gc deletes the blobs only it referenced, after its grace period */
export async function removeSnapshot(root: MetaStore, fsName: string, name: string): Promise<void> {
  const key = new Keys(fsName).snapshot(name)
  const res = await root.txn([{ key, target: 'create', op: '>', value: 0 }], [{ type: 'delete', key }])
  if (!res.succeeded) throw ENOENT(`no snapshot '${name}' in filesystem '${fsName}'`)
}

/** loadSnapshot gives each group of a snapshot back as a store in memory (group id -> store); the caller closes them */
export async function loadSnapshot(record: SnapshotRecord, readBlob: ReadBlob): Promise<Map<number, MetaStore>> {
  const stores = new Map<number, MetaStore>()
  try {
    for (const [g, { pages }] of Object.entries(record.groups)) {
      const store = await EmbeddedStore.open({ path: ':memory:' })
      stores.set(Number(g), store)
      for (const id of pages) await putAll(store, decodePage(id, await readBlob(id)))
    }
    return stores
  } catch (err) {
    for (const s of stores.values()) await s.close()
    throw err
  }
}

/** putAll writes kvs in transactions within the store's request limits */
async function putAll(store: MetaStore, kvs: Array<[Buffer, Buffer]>): Promise<void> {
  let ops: Op[] = []
  let bytes = 0
  const flush = async () => {
    if (ops.length > 0) await store.txn([], ops)
    ops = []
    bytes = 0
  }
  for (const [key, value] of kvs) {
    if (ops.length >= limits.txnOps || bytes + key.length + value.length > limits.requestBytes / 2) await flush()
    ops.push({ type: 'put', key, value })
    bytes += key.length + value.length
  }
  await flush()
}

function decodeSnapshot(key: string, raw: Buffer): SnapshotRecord {
  try {
    const r = JSON.parse(raw.toString()) as SnapshotRecord & { v: number }
    if (r.v === VERSION && typeof r.name === 'string' && typeof r.groups === 'object') return { name: r.name, created: r.created, groups: r.groups }
  } catch {
    // reported below
  }
  throw EIO(`${key} is not a snapshot record`)
}
