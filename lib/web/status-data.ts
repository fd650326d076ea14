// What the status page shows, read afresh on each poll: the metadata groups (reachable, their
// revision), the pools (site, driver, state), the live sessions in each group (one per mount,
// with its process and age), the replication backlog, and the latest slow operations.
// The group stores stay open between polls (a page polls every few seconds); close() closes them.
import { hostname } from 'node:os'
import { listGroups } from '../fs/config'
import { Keys } from '../fs/schema'
import type { SlowOp } from '../metrics'
import { openStore, type MetaStore } from '../meta'
import { PlacementStore } from '../placement/placement-config'
import { ReplicationQueue } from '../placement/replication-queue'

export interface GroupRow { name: string; id: number; url: string; reachable: boolean; revision?: number; error?: string }
export interface PoolRow { name: string; site: string; driver: string; weight: number; state: string }
export interface SessionRow { group: string; sid: string; pid?: number; host?: string; ageS?: number }

export interface StatusReport {
  fs: string
  meta: string
  /** where the page is served from */
  host: string
  at: string
  groups: GroupRow[]
  pools: PoolRow[]
  sessions: SessionRow[]
  backlog: { blobs: number; bytes: number }
  slow: SlowOp[]
}

/** how long one group may take to answer a poll */
const GROUP_DEADLINE_MS = 3_000

export class StatusSource {
  private readonly keys: Keys
  private readonly groups = new Map<string, Promise<MetaStore>>()

  /** root: the root group's store (not owned); slow: where the latest slow operations come from */
  constructor(private readonly root: MetaStore, readonly fs: string, private readonly meta: string, private readonly slow: () => Promise<SlowOp[]> | SlowOp[]) {
    this.keys = new Keys(fs)
  }

  /** report reads everything the page shows */
  async report(): Promise<StatusReport> {
    const stores: Array<{ row: GroupRow; store?: MetaStore }> = [{ row: { name: 'root', id: 0, url: this.meta, reachable: true }, store: this.root }]
    for (const g of await listGroups(this.root, this.keys)) {
      const row: GroupRow = { name: g.name, id: g.id, url: g.url, reachable: false }
      try {
        stores.push({ row, store: await this.group(g.url) })
      } catch (err) {
        stores.push({ row: { ...row, error: (err as Error).message } })
      }
    }
    const sessions: SessionRow[] = []
    await Promise.all(stores.map(async ({ row, store }) => {
      if (!store) return
      try {
        row.revision = (await store.range('', { limit: 1 })).revision
        row.reachable = true
        sessions.push(...(await this.sessionsOf(row.name, store)))
      } catch (err) {
        row.reachable = false
        row.error = (err as Error).message
      }
    }))
    const placement = await new PlacementStore(this.root, this.fs).load()
    return {
      fs: this.fs,
      meta: this.meta,
      host: hostname(),
      at: new Date().toISOString(),
      groups: stores.map(s => s.row),
      pools: placement.pools.map(p => ({ name: p.name, site: p.site, driver: p.config.driver, weight: p.weight, state: p.state })),
      sessions: sessions.sort((a, b) => (b.ageS ?? 0) - (a.ageS ?? 0)),
      backlog: await new ReplicationQueue(this.root, this.fs).backlog(),
      slow: await this.slow(),
    }
  }

  private group(url: string): Promise<MetaStore> {
    let opening = this.groups.get(url)
    if (!opening) {
      opening = openStore(url, { deadlineMs: GROUP_DEADLINE_MS, existing: true, readOnly: true })
      this.groups.set(url, opening)
      opening.catch(() => this.groups.delete(url))
    }
    return opening
  }

  private async sessionsOf(group: string, store: MetaStore): Promise<SessionRow[]> {
    const prefix = this.keys.session('')
    const { kvs } = await store.range(prefix)
    return kvs.map(kv => {
      const sid = kv.key.toString().slice(prefix.length)
      let record: { pid?: number; host?: string; startedMs?: number } = {}
      try {
        record = JSON.parse(kv.value.toString())
      } catch {
        // a record another version wrote: shown by its id alone
      }
      const ageS = record.startedMs === undefined ? undefined : Math.round((Date.now() - record.startedMs) / 1000)
      return { group, sid, pid: record.pid, host: record.host, ageS }
    })
  }

  /** close closes the group stores it opened (not the root); idempotent */
  async close(): Promise<void> {
    const opened = [...this.groups.values()]
    this.groups.clear()
    await Promise.all(opened.map(p => p.then(s => s.close(), () => undefined)))
  }
}
