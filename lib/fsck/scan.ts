// Reading one section of a filesystem's keys (inodes, entries, chunks, ...) page by page; the
// keys are taken apart by the schema's own codecs (lib/fs/schema.ts). A key a cross-group
// transaction holds (an intent envelope) is left out: fsck reports intents on their own.
import { scan as scanAll } from '../meta/scan'
import type { KeyValue, MetaStore } from '../meta/store'
import { isIntent } from '../txn/intent'

/** scan yields every key under prefix in key order, page by page, intents left out */
export async function* scan(store: MetaStore, prefix: string): AsyncGenerator<KeyValue> {
  for await (const kv of scanAll(store, prefix)) if (!isIntent(kv.value)) yield kv
}
