// meridian status: open the metadata store (creating the embedded default if needed) and report it.
import { Command } from 'commander'
import { defaultMetaUrl, openStore } from '../meta'
import { print } from './run'

export interface StatusOptions {
  meta?: string
  json?: boolean
}

export interface Status {
  engine: string
  meta: string
  revision: number
}

export async function status(opts: StatusOptions): Promise<Status> {
  const meta = opts.meta ?? defaultMetaUrl()
  const store = await openStore(meta, { deadlineMs: 5_000 })
  try {
    const { revision } = await store.range('', { limit: 1 })
    return { engine: store.engine, meta, revision }
  } finally {
    await store.close()
  }
}

export function statusCommand(): Command {
  return new Command('status')
    .description('open the metadata store (the embedded default unless --meta) and report it')
    .option('--meta <url>', 'metadata store: etcd://host:port[,...] or sqlite:///path (default: ~/.meridian/meta.db)')
    .option('--json', 'print JSON')
    .action(async (opts: StatusOptions) => {
      const s = await status(opts)
      print(opts.json, { ...s }, `${s.engine} metadata at ${s.meta}: ready, revision ${s.revision}`)
    })
}
