// Opening a metadata store by URL: the scheme picks the engine (registry.ts).
//   etcd://host:port[,host:port...]    the etcd engine (production, multi-machine);
//     ?nearest=host:port               names the member that serves serializable reads
//   sqlite:///abs/path/meta.db         the embedded engine on that file
//   a plain path                       the embedded engine on that file
import { homedir } from 'node:os'
import { join } from 'node:path'
import './embedded'
import './etcd'
import { openEngine, type EngineOptions } from './registry'
import type { MetaStore } from './store'

export type { MetaStore } from './store'
export { registerEngine, type EngineOpener, type EngineOptions } from './registry'

/** The embedded store a one-machine user gets with no options at all. */
export function defaultMetaUrl(): string {
  return `sqlite://${join(process.env.MERIDIAN_HOME ?? join(homedir(), '.meridian'), 'meta.db')}`
}

/** openStore opens the store a metadata URL names */
export function openStore(url: string, opts: EngineOptions = {}): Promise<MetaStore> {
  return openEngine(url, opts)
}
