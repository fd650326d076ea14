// Metadata engines register by URL scheme, as pool drivers register by name: etcd.ts and
// embedded.ts each register themselves, and openStore picks one from the URL it is given.
import { ConfigError } from '../errors'
import type { RetryOptions } from './retry'
import type { MetaStore } from './store'

export interface EngineOptions extends RetryOptions {
  /** the store must exist already: an embedded file is never created (read-only commands) */
  existing?: boolean
  /** the caller only reads (status, info, ls): an embedded store another process owns is read beside it */
  readOnly?: boolean
}

/** An EngineOpener opens a store from the part of its URL after `scheme://`. */
export type EngineOpener = (location: string, url: string, opts: EngineOptions) => Promise<MetaStore>

const engines = new Map<string, EngineOpener>()

/** registerEngine makes an engine available under a URL scheme. */
export function registerEngine(scheme: string, open: EngineOpener): void {
  engines.set(scheme, open)
}

/** engineScheme is the scheme of a metadata URL; a plain path means the embedded engine */
export function engineScheme(url: string): string {
  return /^([a-z0-9+]+):\/\//.exec(url)?.[1] ?? 'sqlite'
}

/** openEngine opens the store a metadata URL names. */
export async function openEngine(url: string, opts: EngineOptions = {}): Promise<MetaStore> {
  const scheme = engineScheme(url)
  const open = engines.get(scheme)
  if (!open) {
    const known = [...engines.keys()].map(s => `${s}://`).join(' or ')
    throw new ConfigError('meta', `unknown metadata engine '${scheme}://' (use ${known})`)
  }
  const location = url.includes('://') ? url.slice(url.indexOf('://') + 3) : url
  return open(location, url, opts)
}
