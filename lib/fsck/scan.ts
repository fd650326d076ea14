// Reading one section of a filesystem's keys (inodes, entries, chunks, ...) page by page, and
// taking the inode number apart from a key.
import type { Keys } from '../fs/schema'
import type { KeyValue, MetaStore } from '../meta/store'

const PAGE = 500
const INO_HEX = 12

/** scan yields every key under prefix in key order, reading pages of PAGE keys. */
export async function* scan(store: MetaStore, prefix: string): AsyncGenerator<KeyValue> {
  let after: Buffer | undefined
  for (;;) {
    const page = await store.range(prefix, { limit: PAGE, after })
    yield* page.kvs
    if (!page.more || page.kvs.length === 0) return
    after = page.kvs[page.kvs.length - 1].key
  }
}

export interface Sections {
  inodes: string
  entries: string
  chunks: string
  xattrs: string
  gone: string
}

/** sections are the prefixes of each kind of key, taken from the schema's own key builders. */
export function sections(keys: Keys): Sections {
  const zero = '0'.repeat(INO_HEX)
  const cut = (key: string, tail: string) => key.slice(0, key.length - tail.length)
  return {
    inodes: cut(keys.inode(0), zero),
    entries: cut(keys.entries(0), zero + '/'),
    chunks: cut(keys.chunks(0), zero + '/'),
    xattrs: cut(keys.xattrs(0), zero + '/'),
    gone: keys.goneAll(),
  }
}

/** KeyParts is a key below a section: the inode number it starts with and what follows its '/'. */
export interface KeyParts {
  ino: number
  rest: string
}

/** parseKey takes a key under section apart; undefined when it does not start with an inode number. */
export function parseKey(key: Buffer, section: string): KeyParts | undefined {
  const tail = key.subarray(Buffer.byteLength(section)).toString()
  const hex = tail.slice(0, INO_HEX)
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined
  if (tail.length > INO_HEX && tail[INO_HEX] !== '/') return undefined
  return { ino: parseInt(hex, 16), rest: tail.slice(INO_HEX + 1) }
}
