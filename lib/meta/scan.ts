// Reading every key under a prefix a page at a time, so that a large range never becomes one
// request over the store's limits.
import type { KeyValue, MetaStore } from './store'

const PAGE = 500

/** scan yields every key under prefix in key order, reading pages of `page` keys */
export async function* scan(store: MetaStore, prefix: string, page = PAGE): AsyncGenerator<KeyValue> {
  let after: Buffer | undefined
  for (;;) {
    const res = await store.range(prefix, { limit: page, after })
    yield* res.kvs
    if (!res.more || res.kvs.length === 0) return
    after = res.kvs[res.kvs.length - 1].key
  }
}
