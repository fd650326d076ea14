// Formatting: the settings and the root directory of a new filesystem, written in one
// transaction that fails if the name is taken.
import { CHUNK_SIZE } from '../data/extent'
import { ConfigError } from '../errors'
import type { MetaStore } from '../meta/store'
import { encodeInode, S_IFDIR, type Inode } from './inode'
import { decodeSettings, encodeSettings, Keys, LAYOUT, ROOT_INO, type Settings } from './schema'
import { commitOnce } from './tx'

export interface FormatOptions {
  name: string
  blockSize?: number
  copies?: number
  pools: Settings['pools']
}

/** checkFormat refuses format options that cannot make a filesystem, and a name taken in store, before anything is written */
export async function checkFormat(store: MetaStore, opts: FormatOptions): Promise<number> {
  checkFsName(opts.name)
  const blockSize = opts.blockSize ?? 4 * 1024 * 1024
  if (!Number.isInteger(blockSize) || blockSize < 4096 || blockSize > CHUNK_SIZE || CHUNK_SIZE % blockSize !== 0) {
    throw new ConfigError('block-size', `${blockSize} must be a power of two between 4 KiB and 64 MiB`)
  }
  if (Object.keys(opts.pools).length === 0) throw new ConfigError('pools', 'a filesystem needs at least one pool')
  if (await exists(store, opts.name)) throw alreadyFormatted(opts.name)
  return blockSize
}

const alreadyFormatted = (name: string) => new ConfigError('name', `filesystem '${name}' is already formatted in this metadata store`)

/** format writes the settings and the root directory of a new filesystem. */
export async function format(store: MetaStore, opts: FormatOptions): Promise<void> {
  const blockSize = await checkFormat(store, opts)
  const keys = new Keys(opts.name)
  const now = Date.now()
  const settings: Settings = {
    name: opts.name, layout: LAYOUT, blockSize, chunkSize: CHUNK_SIZE, pools: opts.pools,
    copies: opts.copies ?? 1, createdMs: now,
  }
  const root: Inode = {
    ino: ROOT_INO, mode: S_IFDIR | 0o755, uid: 0, gid: 0, nlink: 2, size: 4096, rdev: 0,
    atimeMs: now, mtimeMs: now, ctimeMs: now, parent: ROOT_INO, entries: 0,
  }
  // the settings hold the time of creation: a retry after a lost reply knows them for its own
  const made = await commitOnce(
    store,
    [{ key: keys.setting(), target: 'create', op: '=', value: 0 }],
    [
      { type: 'put', key: keys.setting(), value: encodeSettings(settings) },
      { type: 'put', key: keys.inode(ROOT_INO), value: encodeInode(root) },
      { type: 'put', key: keys.nextInode(), value: String(ROOT_INO + 1) },
    ],
  )
  if (!made) throw alreadyFormatted(opts.name)
}

/** exists tells whether a filesystem of this name is formatted in the store. */
export async function exists(store: MetaStore, name: string): Promise<boolean> {
  return (await store.get(new Keys(name).setting())).kv !== null
}

/** readSettings reads a filesystem's settings; a ConfigError naming 'name' when there is none */
export async function readSettings(store: MetaStore, name: string): Promise<Settings> {
  const { kv } = await store.get(new Keys(name).setting())
  if (!kv) throw new ConfigError('name', `no filesystem '${name}' in this metadata store: run meridian format first`)
  return decodeSettings(kv.value)
}

function checkFsName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new ConfigError('name', `'${name}' must be 1-64 letters, digits, '.', '_' or '-'`)
  }
}
