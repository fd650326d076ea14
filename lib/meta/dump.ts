// Reading every key under a prefix as it was at one revision, page by page: the pages of a
// long read agree because each after the first asks for the first page's revision. A store
// that keeps no history (the embedded one) cannot answer a page at a revision it has moved
// past; it is then read again in a single request, which it serves at one revision.
import { MetaError } from '../errors'
import type { KeyValue, MetaStore } from './store'

const PAGE = 1000

export interface Dump {
  revision: number
  kvs: KeyValue[]
}

/** dumpPrefix reads every key under prefix at one revision */
export async function dumpPrefix(store: MetaStore, prefix: string, page = PAGE): Promise<Dump> {
  try {
    return await paged(store, prefix, page)
  } catch (err) {
    if (!(err instanceof MetaError && err.code === 'ECOMPACTED')) throw err
    const { kvs, revision } = await store.range(prefix)
    return { revision, kvs }
  }
}

async function paged(store: MetaStore, prefix: string, page: number): Promise<Dump> {
  const first = await store.range(prefix, { limit: page })
  const kvs = [...first.kvs]
  for (let more = first.more; more && kvs.length > 0;) {
    const next = await store.range(prefix, { limit: page, after: kvs[kvs.length - 1].key, revision: first.revision })
    kvs.push(...next.kvs)
    more = next.more
  }
  return { revision: first.revision, kvs }
}
