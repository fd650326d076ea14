// Opening a metadata store by URL: the scheme picks the engine.
//   etcd://host:port[,host:port...]    the etcd engine (production, multi-machine)
//   sqlite:///abs/path/meta.db         the embedded engine on that file
//   a plain path                       the embedded engine on that file
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { ConfigError } from '../errors'
import { EmbeddedStore } from './embedded'
import { EtcdStore } from './etcd'
import type { RetryOptions } from './retry'
import type { MetaStore } from './store'

export type { MetaStore } from './store'

/** The embedded store a one-machine user gets with no options at all. */
export function defaultMetaUrl(): string {
  return `sqlite://${join(process.env.MERIDIAN_HOME ?? join(homedir(), '.meridian'), 'meta.db')}`
}

export async function openStore(url: string, opts: RetryOptions = {}): Promise<MetaStore> {
  const scheme = /^([a-z0-9+]+):\/\//.exec(url)?.[1]
  if (scheme === 'etcd') {
    const hosts = url.slice('etcd://'.length).split(',').filter(Boolean)
    if (hosts.length === 0 || hosts.some(h => !/^[\w.-]+:\d+$/.test(h))) {
      throw new ConfigError('meta', `'${url}' is not etcd://host:port[,host:port...]`)
    }
    return EtcdStore.open({ endpoints: hosts.map(h => `http://${h}`), ...opts })
  }
  if (scheme === 'sqlite') return EmbeddedStore.open({ path: resolve(url.slice('sqlite://'.length)) })
  if (scheme === undefined) return EmbeddedStore.open({ path: resolve(url) })
  throw new ConfigError('meta', `unknown metadata engine '${scheme}://' (use etcd:// or sqlite://)`)
}
