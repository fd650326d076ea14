// meridian status: open the metadata store (creating the embedded default if needed) and report
// it, and the replication backlog of the filesystem (when it is formatted there).
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { Filesystem } from '../fs/filesystem'
import { defaultMetaUrl, openStore } from '../meta'
import { ReplicationQueue } from '../placement/replication-queue'
import { DEFAULT_NAME } from './format'
import { print } from './run'

export interface StatusOptions {
  meta?: string
  name?: string
  json?: boolean
}

export interface Status {
  engine: string
  meta: string
  revision: number
  /** blobs (and their bytes) whose copies the replicator has still to make match their policy */
  backlog?: { name: string; blobs: number; bytes: number }
}

export async function status(opts: StatusOptions): Promise<Status> {
  const meta = opts.meta ?? defaultMetaUrl()
  const name = opts.name ?? DEFAULT_NAME
  const store = await openStore(meta, { deadlineMs: 5_000 })
  try {
    const { revision } = await store.range('', { limit: 1 })
    const s: Status = { engine: store.engine, meta, revision }
    const formatted = await Filesystem.exists(store, name)
    if (!formatted && opts.name !== undefined) throw new ConfigError('name', `no filesystem '${name}' in ${meta}: run meridian format first`)
    if (formatted) s.backlog = { name, ...(await new ReplicationQueue(store, name).backlog()) }
    return s
  } finally {
    await store.close()
  }
}

export function statusCommand(): Command {
  return new Command('status')
    .description('open the metadata store (the embedded default unless --meta) and report it, with the replication backlog')
    .option('--meta <url>', 'metadata store: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
    .option('--name <name>', `filesystem name (default: ${DEFAULT_NAME})`)
    .option('--json', 'print JSON')
    .action(async (opts: StatusOptions) => {
      const s = await status(opts)
      const backlog = s.backlog ? `; '${s.backlog.name}': replication backlog ${s.backlog.blobs} blobs, ${s.backlog.bytes} bytes` : ''
      print(opts.json, { ...s }, `${s.engine} metadata at ${s.meta}: ready, revision ${s.revision}${backlog}`)
    })
}
