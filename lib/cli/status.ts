// meridian status: one filesystem as an operator sees it. Its metadata groups (each store's
// members, which one leads, the revision each has applied and how far each lags), its pools
// (state, space, blobs), the sessions of the mounts using it (host, pid, age, per group), and
// the replication backlog. Read-only: a store that is not there is an error, never a new one.
import { Command } from 'commander'
import { listGroups } from '../fs/config'
import { Keys, type GroupRecord } from '../fs/schema'
import type { MemberStatus, MetaStore } from '../meta/store'
import { PlacementStore } from '../placement/placement-config'
import { ReplicationQueue } from '../placement/replication-queue'
import { READ_ONLY, reach, rootOptions, withRoot, type GroupCliOptions } from './group'
import { poolRows, type PoolRow } from './pool-ls'
import { defaultMetaUrl } from '../meta'
import { print } from './run'
import { age, bytes, formatTable } from './table'

export interface GroupHealth extends GroupRecord {
  engine: string
  reachable: boolean
  revision?: number
  members: MemberStatus[]
  error?: string
}

export interface SessionRow {
  group: string
  sid: string
  host: string
  pid: number
  /** where it is mounted (absent for a filesystem opened by a program, not a mount) */
  mountpoint?: string
  startedMs: number
  ageMs: number
}

export interface Status {
  meta: string
  name: string
  groups: GroupHealth[]
  pools: PoolRow[]
  sessions: SessionRow[]
  /** blobs (and their bytes) whose copies the replicator has still to make match their policy */
  backlog: { blobs: number; bytes: number }
}

/** health reports one group's store: its revision, its members, the sessions in it */
async function health(record: GroupRecord, store: MetaStore, keys: Keys, sessions: SessionRow[]): Promise<GroupHealth> {
  const { revision, kvs } = await store.range(keys.session(''))
  const now = Date.now()
  for (const kv of kvs) {
    const s = JSON.parse(kv.value.toString()) as { pid?: number; host?: string; mountpoint?: string; startedMs?: number }
    const startedMs = s.startedMs ?? now
    sessions.push({ group: record.name, sid: kv.key.toString().slice(keys.session('').length), host: s.host ?? '?', pid: s.pid ?? 0, mountpoint: s.mountpoint, startedMs, ageMs: now - startedMs })
  }
  const members = store.members ? await store.members() : []
  return { ...record, engine: store.engine, reachable: true, revision, members }
}

export function status(opts: GroupCliOptions): Promise<Status> {
  const meta = opts.meta ?? defaultMetaUrl()
  return withRoot(opts, async (root, keys) => {
    const sessions: SessionRow[] = []
    const groups = [await health({ name: 'root', id: 0, url: meta }, root, keys, sessions)]
    for (const g of await listGroups(root, keys)) {
      let store: MetaStore | undefined
      try {
        store = await reach(g.url, READ_ONLY)
        groups.push(await health(g, store, keys, sessions))
      } catch (err) {
        groups.push({ ...g, engine: g.url.split('://')[0], reachable: false, members: [], error: (err as Error).message })
      } finally {
        await store?.close()
      }
    }
    const pools = await poolRows((await new PlacementStore(root, keys.name).load()).pools)
    const backlog = await new ReplicationQueue(root, keys.name).backlog()
    return { meta, name: keys.name, groups, pools, sessions, backlog }
  }, READ_ONLY)
}

/** human is the report for people: one table per part */
export function human(s: Status): string {
  const members = s.groups.flatMap(g => g.reachable
    ? g.members.map(m => [g.name, g.engine, m.name, m.endpoint, m.reachable ? (m.leader ? 'leader' : 'follower') : `UNREACHABLE: ${m.error ?? ''}`, String(m.revision ?? '-'), String(m.lag ?? '-')])
    : [[g.name, g.engine, '-', g.url, `UNREACHABLE: ${g.error ?? ''}`, '-', '-']])
  const pools = s.pools.map(p => [p.name, p.site, p.state, p.reachable ? 'yes' : `no (${p.error ?? ''})`,
    p.usage ? `${bytes(p.usage.totalBytes - p.usage.freeBytes)} / ${bytes(p.usage.totalBytes)}` : '-', p.blobs === null ? '-' : String(p.blobs)])
  const sessions = s.sessions.map(x => [x.group, x.host, String(x.pid), x.mountpoint ?? '-', age(x.ageMs), x.sid])
  return [
    `filesystem '${s.name}' in ${s.meta}`,
    '',
    formatTable(['group', 'engine', 'member', 'endpoint', 'role', 'revision', 'lag'], members),
    '',
    formatTable(['pool', 'site', 'state', 'reachable', 'used / size', 'blobs'], pools),
    '',
    sessions.length > 0 ? formatTable(['group', 'host', 'pid', 'mountpoint', 'age', 'session'], sessions) : 'no sessions (no mount is using it)',
    '',
    `replication backlog: ${s.backlog.blobs} blobs, ${bytes(s.backlog.bytes)}`,
  ].join('\n')
}

export function statusCommand(): Command {
  return rootOptions(new Command('status'))
    .description('a filesystem at a glance: groups (members, leader, revision, lag), pools (state, space, blobs), sessions of mounts (host, age), replication backlog')
    .action(async (opts: GroupCliOptions) => {
      const s = await status(opts)
      print(opts.json, { ...s }, human(s))
    })
}
