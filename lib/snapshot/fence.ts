// The fence that makes a snapshot's cut consistent across groups. While a group holds
// fs/<name>/fence, no cross-group transaction can prepare in it (lib/fs/groups.ts guards every
// prepare on the fence's absence), so once every group is fenced and no transaction record is
// left in any of them, no transaction is half-way anywhere: each group read at any revision
// from then on shows every cross-group transaction entirely or not at all. Single-group
// transactions go on unhindered: each is atomic in its one group. The fence is bound to a
// lease in each group, so a snapshot taker that dies holds cross-group work up for one TTL.
import { setTimeout as sleep } from 'node:timers/promises'
import { EBUSY } from '../errors'
import { log } from '../log'
import type { MetaStore } from '../meta/store'
import type { Keys } from '../fs/schema'
import { resolveRecord } from '../txn/resolve'

/** how long a fence outlives a snapshot taker that stopped renewing it */
const FENCE_TTL_S = 10
const POLL_MS = 25

export class Fence {
  private readonly renew: NodeJS.Timeout
  private lowered = false

  private constructor(private readonly stores: Map<string, MetaStore>, private readonly leases: Map<string, number>) {
    this.renew = setInterval(() => {
      for (const [g, lease] of leases) stores.get(g)!.keepAlive(lease).catch(err => log.warn({ group: g, err }, 'snapshot fence: renewing its lease failed'))
    }, (FENCE_TTL_S * 1000) / 3)
  }

  /** raise fences every group (name -> store) of the filesystem; a failure lowers what it raised */
  static async raise(stores: Map<string, MetaStore>, keys: Keys): Promise<Fence> {
    const fence = new Fence(stores, new Map())
    try {
      for (const [g, store] of stores) {
        const lease = await store.grant(FENCE_TTL_S)
        fence.leases.set(g, lease)
        const res = await store.txn([{ key: keys.fence(), target: 'create', op: '=', value: 0 }], [{ type: 'put', key: keys.fence(), value: 'snapshot', lease }])
        if (!res.succeeded) throw EBUSY(`group ${g} is fenced already: another snapshot is being taken`)
      }
      return fence
    } catch (err) {
      await fence.lower()
      throw err
    }
  }

  /**
   * quiesce waits until no group holds a transaction record: those that prepared before the
   * fence finish (settled here once their deadline passes), the others fail to prepare and go.
   */
  async quiesce(keys: Keys, timeoutMs: number): Promise<void> {
    const giveUp = Date.now() + timeoutMs
    const groups = (name: string) => this.stores.get(name)!
    for (;;) {
      let left = 0
      for (const [g, store] of this.stores) {
        for (const kv of (await store.range(keys.txns())).kvs) {
          const { resolution } = await resolveRecord(groups, g, kv.key.toString())
          if (resolution === 'pending') left++
        }
      }
      if (left === 0) return
      if (Date.now() > giveUp) throw EBUSY(`${left} cross-group transactions are still pending; try again`)
      await sleep(POLL_MS)
    }
  }

  /** lower removes every fence (revoking its lease deletes it); idempotent, failures are logged */
  async lower(): Promise<void> {
    if (this.lowered) return
    this.lowered = true
    clearInterval(this.renew)
    for (const [g, lease] of this.leases) {
      await this.stores.get(g)!.revoke(lease).catch(err => log.warn({ group: g, err }, 'snapshot fence: revoking its lease failed; it expires by itself'))
    }
  }
}
