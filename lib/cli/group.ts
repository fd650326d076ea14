// meridian group add|ls|rm: the metadata groups of a filesystem. The root group is the store
// --meta names (where the filesystem was formatted); each further group is another store
// (an etcd cluster, or an embedded file) listed there with a name and an id.
import { Command } from 'commander'
import { ConfigError, MetaError } from '../errors'
import { addGroup, checkGroupName, listGroups, removeGroup } from '../fs/config'
import { exists } from '../fs/format'
import { Keys, type GroupRecord } from '../fs/schema'
import { defaultMetaUrl, openStore, type MetaStore } from '../meta'
import { DEFAULT_NAME } from './format'
import { print } from './run'

export interface GroupCliOptions {
  meta?: string
  name?: string
  metaUrl?: string
  json?: boolean
}

export interface GroupStatus extends GroupRecord {
  engine: string
  reachable: boolean
  revision?: number
  error?: string
}

/** How a command uses a store: one that only reads may read an embedded store beside the mount that owns it. */
export interface StoreAccess {
  readOnly?: boolean
}

export const READ_ONLY: StoreAccess = { readOnly: true }

/** withRoot opens the root group of a formatted filesystem for fn, never creating a store */
export async function withRoot<T>(opts: GroupCliOptions, fn: (root: MetaStore, keys: Keys) => Promise<T>, access: StoreAccess = {}): Promise<T> {
  const meta = opts.meta ?? defaultMetaUrl()
  const name = opts.name ?? DEFAULT_NAME
  const root = await openStore(meta, { deadlineMs: 5_000, existing: true, readOnly: access.readOnly })
  try {
    if (!(await exists(root, name))) throw new ConfigError('name', `no filesystem '${name}' in ${meta}: run meridian format first`)
    return await fn(root, new Keys(name))
  } finally {
    await root.close()
  }
}

/** reach opens a group's store and proves it answers; a ConfigError naming meta-url otherwise */
export async function reach(url: string, access: StoreAccess = {}): Promise<MetaStore> {
  let store: MetaStore | undefined
  try {
    store = await openStore(url, { deadlineMs: 5_000, readOnly: access.readOnly })
    await store.range('', { limit: 1 })
    return store
  } catch (err) {
    if (err instanceof ConfigError) throw err
    await store?.close().catch(() => undefined)
    throw new ConfigError('meta-url', `cannot reach ${url}: ${err instanceof MetaError ? err.message : String(err)}`)
  }
}

export function groupAdd(name: string, opts: GroupCliOptions): Promise<GroupRecord> {
  if (!opts.metaUrl) throw new ConfigError('meta-url', 'give the group\'s metadata store: --meta-url etcd://host:port or sqlite:///path')
  const url = opts.metaUrl
  // checked before the group's store is opened, which may create it
  checkGroupName(name)
  if (url === (opts.meta ?? defaultMetaUrl())) throw new ConfigError('meta-url', `${url} is the root group's own store: a group needs a store of its own`)
  return withRoot(opts, async (root, keys) => {
    const store = await reach(url)
    try {
      return await addGroup(root, store, keys, name, url)
    } finally {
      await store.close()
    }
  })
}

export function groupList(opts: GroupCliOptions): Promise<GroupStatus[]> {
  return withRoot(opts, async (root, keys) => {
    const { revision } = await root.range('', { limit: 1 })
    const out: GroupStatus[] = [{ name: 'root', id: 0, url: opts.meta ?? defaultMetaUrl(), engine: root.engine, reachable: true, revision }]
    for (const g of await listGroups(root, keys)) {
      try {
        const store = await reach(g.url, READ_ONLY)
        try {
          out.push({ ...g, engine: store.engine, reachable: true, revision: (await store.range('', { limit: 1 })).revision })
        } finally {
          await store.close()
        }
      } catch (err) {
        out.push({ ...g, engine: g.url.split('://')[0], reachable: false, error: (err as Error).message })
      }
    }
    return out
  }, READ_ONLY)
}

export function groupRemove(name: string, opts: GroupCliOptions): Promise<void> {
  return withRoot(opts, async (root, keys) => {
    const record = (await listGroups(root, keys)).find(g => g.name === name)
    const store = record ? await reach(record.url).catch(() => undefined) : undefined
    try {
      await removeGroup(root, store, keys, name)
    } finally {
      await store?.close()
    }
  })
}

/** rootOptions adds the options every group and partition command takes */
export const rootOptions = (c: Command) => c
  .option('--meta <url>', 'the root group: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
  .option('--name <name>', `filesystem name (default: ${DEFAULT_NAME})`)
  .option('--json', 'print JSON')

export function groupCommand(): Command {
  const group = new Command('group').description('the metadata groups of a filesystem (each an etcd cluster or an embedded store)')
  group.addCommand(rootOptions(new Command('add'))
    .description('add a metadata group: a store that partitions can then live in')
    .argument('<group>', 'the group\'s name')
    .requiredOption('--meta-url <url>', 'the group\'s metadata store: etcd://host:port[,...] or sqlite:///path')
    .action(async (name: string, opts: GroupCliOptions) => {
      const g = await groupAdd(name, opts)
      print(opts.json, { ...g }, `group '${g.name}' (id ${g.id}) added: ${g.url}`)
    }))
  group.addCommand(rootOptions(new Command('ls'))
    .description('list the groups: engine, reachable, revision')
    .action(async (opts: GroupCliOptions) => {
      const gs = await groupList(opts)
      const lines = gs.map(g => `${g.name}\tid ${g.id}\t${g.engine}\t${g.reachable ? `reachable, revision ${g.revision}` : `UNREACHABLE: ${g.error}`}\t${g.url}`)
      print(opts.json, { groups: gs }, lines.join('\n'))
    }))
  group.addCommand(rootOptions(new Command('rm'))
    .description('remove a group that no partition uses')
    .argument('<group>', 'the group\'s name')
    .action(async (name: string, opts: GroupCliOptions) => {
      await groupRemove(name, opts)
      print(opts.json, { removed: name }, `group '${name}' removed`)
    }))
  return group
}
