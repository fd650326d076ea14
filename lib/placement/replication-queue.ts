// The durable replication queue in the metadata (keys.ts: placement/queue/):
// one key per blob whose copies may differ from its targets. Writers add to it (a block
// written to fewer pools than its policy asks; a read that found a bad copy; a reconcile that
// found a difference); the
// replicator removes an entry only after the blob's copies match its targets, guarded by
// the entry's mod revision, so an entry re-added meanwhile is never lost. A crash leaves
// the queue as it was: the next run resumes from it.
import type { MetaStore, Op } from '../meta/store'
import { limits } from '../meta/store'
import { PlacementKeys } from './keys'

export interface QueueEntry {
  /** bytes to copy, as far as the writer knew */
  bytes: number
  /** when it was queued; an entry whose blob no file references is dropped after a grace period */
  queuedMs: number
  /** pools whose copy a read found missing or corrupt: the replicator checks those copies' bytes */
  suspect?: string[]
}

export interface Queued extends QueueEntry {
  id: string
  modRevision: number
}

export class ReplicationQueue {
  private readonly keys: PlacementKeys
  constructor(private readonly store: MetaStore, fsName: string) {
    this.keys = new PlacementKeys(fsName)
  }

  /** add queues blobs, in transactions of at most the store's operation limit */
  async add(entries: Array<{ id: string; bytes: number; suspect?: string[] }>): Promise<void> {
    const now = Date.now()
    const ops: Op[] = entries.map(({ id, bytes, suspect }) => ({ type: 'put', key: this.keys.queued(id), value: JSON.stringify({ bytes, queuedMs: now, suspect }) }))
    for (let i = 0; i < ops.length; i += limits.txnOps) await this.store.txn([], ops.slice(i, i + limits.txnOps))
  }

  /** list reads the whole queue */
  async list(): Promise<Queued[]> {
    const prefix = this.keys.queue()
    const out: Queued[] = []
    let after: Buffer | undefined
    for (;;) {
      const page = await this.store.range(prefix, { limit: 1000, after })
      for (const kv of page.kvs) {
        out.push({ id: kv.key.toString().slice(prefix.length), modRevision: kv.modRevision, ...(JSON.parse(kv.value.toString()) as QueueEntry) })
      }
      if (!page.more || page.kvs.length === 0) return out
      after = page.kvs[page.kvs.length - 1].key
    }
  }

  /** done removes an entry unless it was queued again since it was listed */
  async done(entry: Queued): Promise<void> {
    const key = this.keys.queued(entry.id)
    await this.store.txn([{ key, target: 'mod', op: '=', value: entry.modRevision }], [{ type: 'delete', key }])
  }

  /** backlog is what is queued: blobs and bytes */
  async backlog(): Promise<{ blobs: number; bytes: number }> {
    const all = await this.list()
    return { blobs: all.length, bytes: all.reduce((sum, e) => sum + e.bytes, 0) }
  }
}
