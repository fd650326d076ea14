// Leases per work range, so that several replicators never do the same work: the blob id
// space is cut into RANGES ranges by the first hex digit of the hash, and a pass handles only
// the blobs of the ranges it holds. A range is held by a key placement/lease/<digit> bound to
// a store lease (etcd's, or the embedded store's) that the holder keeps alive while its pass
// runs and revokes when it ends; a replicator that dies loses its ranges when the lease
// expires. Claiming is one guarded transaction per range (the key must not exist), so two
// replicators never both hold one. Ranges are tried from a random start so that replicators
// starting together split the space.
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { MetaStore } from '../meta/store'
import { PlacementKeys } from '../placement/keys'

/** the work ranges: the first hex digit of a blob id's hash */
export const RANGES = 16
const ID_PREFIX = 'sha256-'

/** rangeOf is the work range of a blob id */
export function rangeOf(id: string): number {
  return parseInt(id.charAt(ID_PREFIX.length), 16)
}

export class WorkLeases {
  private timer: NodeJS.Timeout | undefined
  private constructor(private readonly store: MetaStore, private readonly lease: number, readonly held: Set<number>) {}

  /** claim takes every free range for a lease of ttlSeconds, kept alive until release */
  static async claim(store: MetaStore, fsName: string, ttlSeconds: number, log: (msg: string, ctx: object) => void = () => {}): Promise<WorkLeases> {
    const keys = new PlacementKeys(fsName)
    const lease = await store.grant(ttlSeconds)
    const owner = JSON.stringify({ host: hostname(), pid: process.pid, id: randomUUID() })
    const held = new Set<number>()
    const start = Math.floor(Math.random() * RANGES)
    for (let i = 0; i < RANGES; i++) {
      const range = (start + i) % RANGES
      const key = keys.lease(range.toString(16))
      const res = await store.txn([{ key, target: 'create', op: '=', value: 0 }], [{ type: 'put', key, value: owner, lease }])
      if (res.succeeded) held.add(range)
    }
    const leases = new WorkLeases(store, lease, held)
    leases.timer = setInterval(() => {
      store.keepAlive(lease).catch(err => log('work lease lost: another replicator may take these ranges', { err }))
    }, Math.max(1, ttlSeconds / 3) * 1000)
    leases.timer.unref()
    return leases
  }

  /** covers tells whether blob id is in a range this replicator holds */
  covers(id: string): boolean {
    return this.held.has(rangeOf(id))
  }

  /** release gives every range back (revoking the lease deletes its keys) */
  async release(): Promise<void> {
    clearInterval(this.timer)
    await this.store.revoke(this.lease)
  }
}
