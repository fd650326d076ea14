// A MetaStore that counts the calls made through it, by kind: 'get', 'range', 'txn read' (a
// read of several keys: getMany, or a txn of gets only) and 'txn write'. Round trips per operation are what a remote store's latency
// multiplies, and unlike timings they do not move from run to run.
import type { OpCounts } from '../fuse/ops'
import type { MetaStore, Op } from '../meta/store'

const COUNTED = new Set(['get', 'getMany', 'range', 'txn'])

/** countCalls returns store with every get, range and txn counted into counts */
export function countCalls(store: MetaStore, counts: OpCounts): MetaStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (typeof value !== 'function' || typeof prop !== 'string' || !COUNTED.has(prop)) return value
      return (...args: unknown[]) => {
        const kind = prop === 'getMany' ? 'txn read' : prop !== 'txn' ? prop : (args[1] as Op[]).some(op => op.type !== 'get') ? 'txn write' : 'txn read'
        counts[kind] = (counts[kind] ?? 0) + 1
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
}
