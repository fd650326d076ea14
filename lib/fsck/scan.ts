// Reading one section of a filesystem's keys (inodes, entries, chunks, ...) page by page; the
// keys are taken apart by the schema's own codecs (lib/fs/schema.ts). A key a cross-group
// transaction holds (an intent envelope) is left out: fsck reports intents on their own.
import type { KeyValue, MetaStore } from '../meta/store'
import { isIntent } from '../txn/intent'

const PAGE = 500

/** scan yields every key under prefix in key order, reading pages of PAGE keys. */
export async function* scan(store: MetaStore, prefix: string): AsyncGenerator<KeyValue> {
  let after: Buffer | undefined
  for (;;) {
    const page = await store.range(prefix, { limit: PAGE, after })
    yield* page.kvs.filter(kv => !isIntent(kv.value))
    if (!page.more || page.kvs.length === 0) return
    after = page.kvs[page.kvs.length - 1].key
  }
}
