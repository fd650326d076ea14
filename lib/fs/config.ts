// The configuration of a filesystem's metadata: its groups and the partition map, kept in the
// root group, and the epoch that every group carries. A change bumps the epoch in every group,
// so that a transaction any mount planned under the old configuration is refused inside its
// store and runs again (group.ts).
import { ConfigError } from '../errors'
import type { MetaStore } from '../meta/store'
import { firstIno, MAX_GROUPS, ROOT_GROUP } from './ino'
import { commitOnce } from './tx'
import {
  decodeRecord, encodeRecord, Keys, type GroupRecord, type MemberRecord, type PartitionRecord,
} from './schema'

/** GROUP_NAME is what a group may be called */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export async function listGroups(root: MetaStore, keys: Keys): Promise<GroupRecord[]> {
  const { kvs } = await root.range(keys.groups())
  return kvs.map(kv => decodeRecord<GroupRecord>(kv.value))
}

export async function listPartitions(root: MetaStore, keys: Keys): Promise<PartitionRecord[]> {
  const { kvs } = await root.range(keys.partitions())
  return kvs.map(kv => decodeRecord<PartitionRecord>(kv.value))
}

/** readEpoch is the configuration epoch of one group (0 before the first change) */
export async function readEpoch(store: MetaStore, keys: Keys): Promise<number> {
  return Number((await store.get(keys.epoch())).kv?.value.toString() ?? 0)
}

/**
 * bumpEpoch moves the epoch of each store on by one. A failed compare means the epoch moved
 * after the change it announces was written (by someone else, or by this very request before
 * its reply was lost): either way mounts re-read the configuration, so once is enough.
 */
export async function bumpEpoch(stores: MetaStore[], keys: Keys): Promise<void> {
  for (const store of stores) {
    const { kv } = await store.get(keys.epoch())
    const next = String(Number(kv?.value.toString() ?? 0) + 1)
    await store.txn([{ key: keys.epoch(), target: 'mod', op: '=', value: kv?.modRevision ?? 0 }], [{ type: 'put', key: keys.epoch(), value: next }])
  }
}

/** checkGroupName refuses a name a group cannot have */
export function checkGroupName(name: string): void {
  if (!GROUP_NAME.test(name) || name === 'root') throw new ConfigError('group', `'${name}' must be 1-64 letters, digits, '.', '_' or '-' (and not 'root')`)
}

/**
 * addGroup makes store a group of the filesystem: it writes the group's own records there
 * (refused if the store already belongs to a filesystem of this name), then lists it in the root
 */
export async function addGroup(root: MetaStore, store: MetaStore, keys: Keys, name: string, url: string): Promise<GroupRecord> {
  checkGroupName(name)
  const groups = await listGroups(root, keys)
  if (groups.some(g => g.name === name)) throw new ConfigError('group', `group '${name}' exists already`)
  if (groups.some(g => g.url === url)) throw new ConfigError('meta-url', `${url} is group '${groups.find(g => g.url === url)!.name}' already`)
  if ((await store.get(keys.setting())).kv) throw new ConfigError('meta-url', `${url} is the root group of filesystem '${keys.name}'`)
  const id = Math.max(ROOT_GROUP, ...groups.map(g => g.id)) + 1
  if (id >= MAX_GROUPS) throw new ConfigError('group', `a filesystem has at most ${MAX_GROUPS - 1} groups besides the root`)
  const member: MemberRecord = { fs: keys.name, group: name, id }
  // a retry after a lost reply finds its own records in place (tx.ts, commitOnce)
  const claimed = await commitOnce(
    store,
    [{ key: keys.member(), target: 'create', op: '=', value: 0 }],
    [
      { type: 'put', key: keys.member(), value: encodeRecord(member) },
      { type: 'put', key: keys.nextInode(), value: String(firstIno(id)) },
      { type: 'put', key: keys.epoch(), value: '1' },
    ],
  )
  if (!claimed) {
    const other = decodeRecord<MemberRecord>((await store.get(keys.member())).kv!.value)
    throw new ConfigError('meta-url', `${url} already holds group '${other.group}' of filesystem '${other.fs}'`)
  }
  const record: GroupRecord = { name, id, url }
  const listed = await commitOnce(root, [{ key: keys.group(name), target: 'create', op: '=', value: 0 }], [{ type: 'put', key: keys.group(name), value: encodeRecord(record) }])
  if (!listed) throw new ConfigError('group', `group '${name}' exists already`)
  await bumpEpoch([root], keys)
  return record
}

/** removeGroup drops a group from the list; refused while a partition lives in it */
export async function removeGroup(root: MetaStore, store: MetaStore | undefined, keys: Keys, name: string): Promise<void> {
  const group = (await listGroups(root, keys)).find(g => g.name === name)
  if (!group) throw new ConfigError('group', `no group '${name}'`)
  const using = (await listPartitions(root, keys)).filter(p => p.group === name)
  if (using.length > 0) throw new ConfigError('group', `group '${name}' holds partition ${using.map(p => p.path).join(', ')}: remove it first`)
  await root.txn([], [{ type: 'delete', key: keys.group(name) }])
  // its keys of this filesystem go too, so the store can be added again
  if (store) await store.txn([], [{ type: 'deletePrefix', prefix: keys.prefix }])
  await bumpEpoch([root], keys)
}
