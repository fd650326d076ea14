// A CausalSession is one mount's causal state: its vector clock across every metadata group,
// how its reads are served, and how long a read may wait for the nearest member. Each group's
// store is wrapped once (store()), and every revision those wrappers see raises the one clock.
import type { MetaStore } from '../meta/store'
import { CausalStore } from './causal-store'
import { VectorClock } from './vector-clock'

/**
 * How a session's reads are served:
 *  - causal: by the nearest member when it has caught up with the clock, else by the quorum;
 *  - linearizable: always by the quorum;
 *  - nearest: always by the nearest member, unchecked (it may go back in time; for comparison).
 */
export type ReadMode = 'causal' | 'linearizable' | 'nearest'
export const readModes: readonly ReadMode[] = ['causal', 'linearizable', 'nearest']

export interface CausalOptions {
  /** how reads are served; default 'causal' */
  mode?: ReadMode
  /** causal: how long a read waits for the nearest member to catch up before it asks the quorum; default 50 ms */
  waitMs?: number
  /** causal: the first pause between probes of a member that is behind, doubling each time; default 2 ms */
  pollMs?: number
}

export class CausalSession {
  readonly mode: ReadMode
  readonly waitMs: number
  readonly pollMs: number
  /** the highest revision written or observed in each group; only rises */
  readonly clock = new VectorClock()
  private readonly stores = new Map<string, CausalStore>()

  constructor(opts: CausalOptions = {}) {
    this.mode = opts.mode ?? 'causal'
    this.waitMs = opts.waitMs ?? 50
    this.pollMs = opts.pollMs ?? 2
  }

  /** store wraps a group's store (opened with its nearest member) for this session; one wrapper per group */
  store(group: string, store: MetaStore): CausalStore {
    const existing = this.stores.get(group)
    if (existing) return existing
    this.clock.observe(group, 0) // checks the group id at once
    const wrapped = new CausalStore(this, group, store)
    this.stores.set(group, wrapped)
    return wrapped
  }

  /** dependsOn merges what a record depends on (an inode's last-writer clock) before reading what it refers to */
  dependsOn(deps: VectorClock): void {
    this.clock.merge(deps)
  }

  /** token is the clock as printable text, for the xattr meridian.clock */
  token(): string {
    return this.clock.encode()
  }

  /**
   * catchUp takes a clock from elsewhere (a token written to meridian.clock) into this session,
   * then waits, up to waitMs, until the nearest member of each group it names has caught up
   * (a group the session has no store for yet is checked by its reads once it has one).
   * Resolves to whether they all have; reads are causal either way (a member still behind
   * sends them to the quorum), so waiting only keeps them local.
   */
  async catchUp(deps: VectorClock | string, waitMs = this.waitMs): Promise<boolean> {
    const clock = typeof deps === 'string' ? VectorClock.decode(deps) : deps
    this.clock.merge(clock)
    const caughtUp = await Promise.all(clock.groups().map(g => this.stores.get(g)?.catchUp(waitMs) ?? true))
    return caughtUp.every(Boolean)
  }
}
