// A CausalStore is one group's MetaStore as a session sees it: reads go to the nearest member
// or the quorum by the session's mode, and every revision it meets (read, write, watch) raises
// the session's clock. Reading with serializable: true means the caller accepts any
// staleness: that read goes to the nearest member unchecked, whatever the mode.
//
// The causal read rule, with need = the clock's entry for this group:
//   1. read on the nearest member (serializable); its header revision is that member's;
//      revision >= need: serve it (counts.nearest);
//   2. else probe the member (a one-key serializable read) after pollMs, 2*pollMs, ... until
//      waitMs has passed; once revision >= need, read there again and serve it (counts.waited);
//   3. else, or when the member fails, read on the quorum (counts.fallback).
// A member applies a group's writes in revision order, so revision >= need means it holds
// every write the session depends on in that group.
import { setTimeout as sleep } from 'node:timers/promises'
import { log } from '../log'
import { ForwardingStore } from '../meta/forwarding-store'
import type {
  Bytes, Compare, GetManyResult, GetResult, MetaStore, Op, RangeOptions, RangeResult, TxnResult, Watch, WatchHandlers,
} from '../meta/store'
import type { CausalSession } from './causal-session'

/** How a group's reads were served */
export interface ReadCounts {
  /** by the nearest member, at once */
  nearest: number
  /** by the nearest member, after waiting for it to catch up */
  waited: number
  /** by the quorum, because the nearest member stayed behind (or failed) for waitMs */
  fallback: number
  /** by the quorum, because the mode is linearizable */
  quorum: number
}

const PROBE_KEY = Buffer.from([0])

/** Leases, sync, compact and close pass straight on; close closes the wrapped store. */
export class CausalStore extends ForwardingStore {
  readonly counts: ReadCounts = { nearest: 0, waited: 0, fallback: 0, quorum: 0 }

  constructor(private readonly session: CausalSession, readonly group: string, store: MetaStore) {
    super(store)
  }

  override get(key: Bytes, opts: { serializable?: boolean } = {}): Promise<GetResult> {
    return this.read(serializable => this.traced('get', serializable, () => this.store.get(key, { serializable })), opts.serializable)
  }

  override getMany(keys: Bytes[], opts: { serializable?: boolean } = {}): Promise<GetManyResult> {
    return this.read(serializable => this.traced('getMany', serializable, () => this.store.getMany(keys, { serializable })), opts.serializable)
  }

  override range(prefix: Bytes, opts: RangeOptions = {}): Promise<RangeResult> {
    return this.read(serializable => this.traced('range', serializable, () => this.store.range(prefix, { ...opts, serializable })), opts.serializable)
  }

  override async txn(compares: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    return this.seen(await this.traced('txn', false, () => this.store.txn(compares, success, failure)))
  }

  /** traced runs one call to the group, logging it (kind, how it was served, time) at debug level: where a remote group's round trips go */
  private async traced<T>(call: string, serializable: boolean, fn: () => Promise<T>): Promise<T> {
    if (!log.isLevelEnabled('debug')) return fn()
    const t0 = performance.now()
    try {
      return await fn()
    } finally {
      log.debug({ group: this.group, call, serializable, ms: Math.round(performance.now() - t0), stack: new Error().stack?.split('\n').slice(3, 9).map(l => l.trim()).join(' | ') }, 'causal: store call')
    }
  }

  override watch(prefix: Bytes, handlers: WatchHandlers, fromRevision?: number): Promise<Watch> {
    return this.store.watch(prefix, {
      onEvents: (events, revision) => {
        this.session.clock.observe(this.group, revision)
        handlers.onEvents(events, revision)
      },
      onError: handlers.onError,
    }, fromRevision)
  }

  /** catchUp waits, up to waitMs, until the nearest member covers the clock's entry for this group */
  async catchUp(waitMs: number): Promise<boolean> {
    return this.nearestCovers(waitMs, false)
  }

  private async read<T extends { revision: number }>(
    serve: (serializable: boolean) => Promise<T>, anyStaleness = false,
  ): Promise<T> {
    const { mode } = this.session
    if (mode === 'nearest' || anyStaleness) {
      this.counts.nearest++
      return this.seen(await serve(true))
    }
    if (mode === 'linearizable') {
      this.counts.quorum++
      return this.seen(await serve(false))
    }
    const need = this.session.clock.get(this.group)
    const first = await serve(true).catch(() => undefined)
    if (first && first.revision >= need) {
      this.counts.nearest++
      return this.seen(first)
    }
    if (first && await this.nearestCovers(this.session.waitMs, true)) {
      const later = await serve(true).catch(() => undefined)
      if (later && later.revision >= need) {
        this.counts.waited++
        return this.seen(later)
      }
    }
    this.counts.fallback++
    return this.seen(await serve(false))
  }

  /** nearestCovers probes the nearest member until it covers the clock's entry, for up to waitMs */
  private async nearestCovers(waitMs: number, pauseFirst: boolean): Promise<boolean> {
    const deadline = Date.now() + waitMs
    for (let pause = this.session.pollMs; ; pause *= 2) {
      if (pauseFirst) {
        const left = deadline - Date.now()
        if (left <= 0) return false
        await sleep(Math.min(pause, left))
      }
      pauseFirst = true
      const probe = await this.store.get(PROBE_KEY, { serializable: true }).catch(() => undefined)
      if (probe === undefined) return false
      if (probe.revision >= this.session.clock.get(this.group)) return true
    }
  }

  /** seen raises the session's clock to a response's revision */
  private seen<T extends { revision: number }>(res: T): T {
    this.session.clock.observe(this.group, res.revision)
    return res
  }
}
