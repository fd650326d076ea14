// The etcd members of a lab: one global (root) group with a member in every site, whose raft
// traffic goes through the link proxy, and one single-member group per site. Timings: an
// election timeout ten heartbeats long, as etcd's tuning guide says, and a heartbeat of three
// WAN round trips (at least 100 ms), a little above the guide's "about one round trip": raft
// sends appends and commit notices at once, never waiting for a heartbeat, so heartbeats cost
// no operation any latency, but every one is WAN traffic the round-trip counters must see past.
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SitePlan } from './sites'

export interface MemberSpec {
  /** global-<site> or local-<site> */
  name: string
  site: string
  group: 'root' | string
  /** the client URL (http://address:port) on the member's site address */
  client: string
  args: string[]
}

function timing(heartbeatMs: number): string[] {
  return ['--heartbeat-interval', String(heartbeatMs), '--election-timeout', String(10 * heartbeatMs)]
}

const COMMON = ['--snapshot-count', '10000', '--logger', 'zap', '--log-outputs', 'stderr']

/** globalMembers: one member per site, each advertising its proxied raft address to its peers */
export function globalMembers(dir: string, sites: SitePlan[], rttMs: number): MemberSpec[] {
  const cluster = sites.map(s => `global-${s.name}=http://${s.address}:${s.global.peerProxy}`).join(',')
  return sites.map(s => {
    const client = `http://${s.address}:${s.global.client}`
    return {
      name: `global-${s.name}`, site: s.name, group: 'root', client,
      args: [
        '--name', `global-${s.name}`,
        '--data-dir', join(dir, s.name, 'etcd-global'),
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', `http://${s.address}:${s.global.peer}`,
        '--initial-advertise-peer-urls', `http://${s.address}:${s.global.peerProxy}`,
        '--initial-cluster', cluster, '--initial-cluster-state', 'new',
        '--initial-cluster-token', `meridian-lab-global-${dir}`,
        ...timing(Math.max(100, 3 * rttMs)), ...COMMON,
      ],
    }
  })
}

/** localMember: a site's own group, one member (two cores do not carry three per site) */
export function localMember(dir: string, s: SitePlan): MemberSpec {
  const client = `http://${s.address}:${s.local.client}`
  const peer = `http://${s.address}:${s.local.peer}`
  return {
    name: `local-${s.name}`, site: s.name, group: s.name, client,
    args: [
      '--name', `local-${s.name}`,
      '--data-dir', join(dir, s.name, 'etcd-local'),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `local-${s.name}=${peer}`, '--initial-cluster-state', 'new',
      '--initial-cluster-token', `meridian-lab-${s.name}-${dir}`,
      ...timing(100), ...COMMON,
    ],
  }
}

export interface MemberStatus {
  /** the member's id in hex */
  id: string
  /** the leader's id in hex, 0 when it knows none */
  leader: string
  revision: number
  raftIndex: number
}

/** gateway calls etcd's JSON gateway on a member */
async function gateway<T>(client: string, call: string, timeoutMs = 2_000): Promise<T> {
  const res = await fetch(`${client}/v3/${call}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(timeoutMs) })
  if (!res.ok) throw new Error(`etcd at ${client}: ${call} answered ${res.status}`)
  return (await res.json()) as T
}

const hex = (id: string | undefined) => BigInt(id ?? 0).toString(16)

/** memberStatus asks one member who it is, who leads, and how far it is */
export async function memberStatus(client: string): Promise<MemberStatus> {
  const s = await gateway<{ header?: { member_id?: string; revision?: string }; leader?: string; raftIndex?: string }>(client, 'maintenance/status')
  return { id: hex(s.header?.member_id), leader: hex(s.leader), revision: Number(s.header?.revision ?? 0), raftIndex: Number(s.raftIndex ?? 0) }
}

/** waitHealthy polls a member until it answers /health with true, or throws after timeoutMs */
export async function waitHealthy(member: MemberSpec, timeoutMs: number, alive: () => boolean, log: string): Promise<void> {
  const giveUp = Date.now() + timeoutMs
  for (;;) {
    if (!alive()) throw new Error(`etcd member ${member.name} exited during start (see ${log})`)
    try {
      const res = await fetch(`${member.client}/health`, { signal: AbortSignal.timeout(1_000) })
      if (((await res.json()) as { health?: unknown }).health === 'true') return
    } catch { /* not yet */ }
    if (Date.now() > giveUp) throw new Error(`etcd member ${member.name} not healthy after ${timeoutMs} ms (see ${log})`)
    await sleep(100)
  }
}
