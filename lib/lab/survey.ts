// `lab status`: what a lab is doing now: its sites, every etcd member (alive, leader, how far),
// each group's leader and revision, the pools, the mounts and every link's counters.
import { ConfigError } from '../errors'
import { isMounted } from '../fuse'
import { openStore } from '../meta'
import { PlacementStore } from '../placement/placement-config'
import { FS_NAME } from './assembly'
import { globalMembers, localMember, memberStatus } from './etcd-members'
import { mountDir, proxySocket } from './layout'
import type { LinkCounters } from './links'
import { ProcessTable, readState, stateFile, type LabState } from './process-table'
import { ProxyControl } from './proxy-control'

export interface MemberView {
  name: string
  site: string
  group: string
  client: string
  pid?: number
  alive: boolean
  leader?: boolean
  revision?: number
  error?: string
}

export interface LabSurvey {
  dir: string
  ready: boolean
  rttMs: number
  jitterMs: number
  sites: Array<{ name: string; address: string }>
  members: MemberView[]
  groups: Array<{ group: string; leader?: string; revision?: number }>
  pools: Array<{ name: string; site: string; path?: unknown }>
  mounts: Array<{ site: string; dir: string; pid?: number; mounted: boolean }>
  links: LinkCounters[]
  errors: string[]
}

async function members(state: LabState, table: ProcessTable): Promise<MemberView[]> {
  const specs = [...globalMembers(state.dir, state.sites, state.rttMs), ...state.sites.map(s => localMember(state.dir, s))]
  return Promise.all(specs.map(async m => {
    const entry = state.processes.find(p => p.name === m.name)
    const view: MemberView = { name: m.name, site: m.site, group: m.group, client: m.client, pid: entry?.pid, alive: !!entry && table.alive(entry) }
    if (!view.alive) return view
    try {
      const s = await memberStatus(m.client)
      return { ...view, leader: s.leader === s.id, revision: s.revision }
    } catch (err) {
      return { ...view, error: (err as Error).message }
    }
  }))
}

export async function survey(dir: string): Promise<LabSurvey> {
  const state = readState(dir)
  if (!state) throw new ConfigError('dir', `no lab in ${dir} (no ${stateFile(dir)})`)
  const table = new ProcessTable(state)
  const errors: string[] = []
  const views = await members(state, table)
  const groups = ['root', ...state.sites.map(s => s.name)].map(group => {
    const of = views.filter(v => v.group === group)
    return { group, leader: of.find(v => v.leader)?.name, revision: Math.max(...of.map(v => v.revision ?? 0)) || undefined }
  })
  let pools: LabSurvey['pools'] = []
  const leader = views.find(v => v.group === 'root' && v.leader)
  if (leader) {
    // the leader alone: a member cut off from it could not answer
    const store = await openStore(`etcd://${new URL(leader.client).host}`, { deadlineMs: 3_000 })
    try {
      pools = (await new PlacementStore(store, FS_NAME).load()).pools.map(p => ({ name: p.name, site: p.site, path: p.config.path }))
    } catch (err) {
      errors.push(`pools: ${(err as Error).message}`)
    } finally {
      await store.close()
    }
  } else errors.push('pools: the global group has no leader')
  const links = await new ProxyControl(proxySocket(state.dir)).links().catch((err: Error) => {
    errors.push(`links: ${err.message}`)
    return []
  })
  const mounts = state.sites.map(s => {
    const entry = state.processes.find(p => p.kind === 'mount' && p.site === s.name)
    return { site: s.name, dir: mountDir(state.dir, s.name), pid: entry && table.alive(entry) ? entry.pid : undefined, mounted: isMounted(mountDir(state.dir, s.name)) }
  })
  return {
    dir: state.dir, ready: !!state.ready, rttMs: state.rttMs, jitterMs: state.jitterMs,
    sites: state.sites.map(s => ({ name: s.name, address: s.address })), members: views, groups, pools, mounts, links, errors,
  }
}
