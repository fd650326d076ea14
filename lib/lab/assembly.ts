// `lab up`: a whole multi-site deployment on this machine, started in order and recorded as it
// goes (process-table.ts): the link proxy, every etcd member, the filesystem (root group =
// the global group, a group, a pool, a partition /<site> and a policy per site), and one
// detached mount per site at DIR/<site>/mnt. A failure stops whatever had started.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { formatStore } from '../cli/format'
import { groupAdd } from '../cli/group'
import { partitionAdd } from '../cli/partition'
import { withPlacement } from '../cli/placement-session'
import { ConfigError } from '../errors'
import { isMounted } from '../fuse'
import { openStore } from '../meta'
import { parsePolicy } from '../placement/policy-schema'
import { globalMembers, localMember, memberStatus, waitHealthy, type MemberSpec } from './etcd-members'
import type { ProxyConfig } from './links'
import { ProcessTable, readState, writeState, type LabState } from './process-table'
import { mountDir, proxySocket } from './layout'
import { ProxyControl } from './proxy-control'
import { planSites, type SitePlan } from './sites'
import { teardown } from './teardown'
import { groupUrl, mountGroupUrls, operatorRootUrl, siteRootUrl } from './urls'

export interface LabOptions {
  sites: string[]
  rttMs: number
  jitterMs: number
  dir: string
}

export const FS_NAME = 'meridian'
const START_MS = 60_000

const MERIDIAN = join(__dirname, '..', '..', 'bin', 'meridian.js')
const LINK_PROXY = join(__dirname, 'link-proxy.js')

/** up starts a lab and returns its state; on a failure everything it started is stopped */
export async function up(opts: LabOptions): Promise<LabState> {
  const dir = resolve(opts.dir)
  const old = readState(dir)
  if (old) throw new ConfigError('dir', `${dir} holds a lab already (state in ${join(dir, 'lab.json')}): run meridian lab down --dir ${dir} first`)
  for (const s of opts.sites) {
    const at = join(dir, s)
    try {
      mkdirSync(at, { recursive: true })
    } catch (err) {
      throw new ConfigError('dir', `cannot create ${at} (${(err as NodeJS.ErrnoException).code})`)
    }
  }
  const state: LabState = { dir, rttMs: opts.rttMs, jitterMs: opts.jitterMs, sites: await planSites(opts.sites), processes: [] }
  writeState(state)
  const table = new ProcessTable(state)
  try {
    await startProxy(table)
    await startMembers(table)
    await configure(state)
    for (const site of state.sites) await startMount(table, site)
    state.ready = true
    writeState(state)
    return state
  } catch (err) {
    await teardown(dir, { keepFiles: true }).catch(() => undefined)
    throw err
  }
}

function proxyConfig(state: LabState): ProxyConfig {
  const listeners: ProxyConfig['listeners'] = []
  for (const s of state.sites) {
    listeners.push({ host: s.address, port: s.global.peerProxy, targetHost: s.address, targetPort: s.global.peer, to: s.name })
    for (const [other, port] of Object.entries(s.remote)) {
      const to = state.sites.find(x => x.name === other)!
      listeners.push({ host: s.address, port, targetHost: to.address, targetPort: to.local.client, to: other, from: s.name })
    }
  }
  return { rttMs: state.rttMs, jitterMs: state.jitterMs, addresses: Object.fromEntries(state.sites.map(s => [s.address, s.name])), listeners }
}

async function startProxy(table: ProcessTable): Promise<void> {
  const { dir } = table.state
  const config = join(dir, 'proxy.json')
  writeFileSync(config, JSON.stringify(proxyConfig(table.state), null, 2))
  const log = join(dir, 'proxy.log')
  const entry = table.start({ name: 'link-proxy', kind: 'proxy', log }, process.execPath, [LINK_PROXY, config, proxySocket(dir)])
  const control = new ProxyControl(proxySocket(dir))
  const giveUp = Date.now() + START_MS
  for (;;) {
    if (existsSync(control.socket) && await control.links().then(() => true, () => false)) return
    if (!table.alive(entry)) throw new Error(`the link proxy exited during start (see ${log})`)
    if (Date.now() > giveUp) throw new Error(`the link proxy did not answer within ${START_MS / 1000} s (see ${log})`)
    await sleep(50)
  }
}

function allMembers(state: LabState): MemberSpec[] {
  return [...globalMembers(state.dir, state.sites, state.rttMs), ...state.sites.map(s => localMember(state.dir, s))]
}

async function startMembers(table: ProcessTable): Promise<void> {
  const members = allMembers(table.state)
  const started = members.map(m => ({
    member: m,
    entry: table.start({ name: m.name, kind: 'etcd', site: m.site, log: join(table.state.dir, m.site, `${m.name}.log`) }, 'etcd', m.args),
  }))
  await Promise.all(started.map(({ member, entry }) => waitHealthy(member, START_MS, () => table.alive(entry), entry.log)))
  // tell the proxy whose raft traffic is whose, by member id
  const ids: Record<string, string> = {}
  for (const m of members.filter(x => x.group === 'root')) ids[(await memberStatus(m.client)).id] = m.site
  await new ProxyControl(proxySocket(table.state.dir)).setMembers(ids)
}

/** configure formats the filesystem and gives each site its group, pool, partition and policy */
async function configure(state: LabState): Promise<void> {
  const meta = operatorRootUrl(state.sites)
  const pool = (s: SitePlan) => ({ driver: 'local', path: join(state.dir, s.name, 'pool') })
  const root = await openStore(meta, { deadlineMs: 10_000 })
  try {
    await formatStore(root, { name: FS_NAME, pools: { [state.sites[0].name]: pool(state.sites[0]) } })
  } finally {
    await root.close()
  }
  for (const s of state.sites) await groupAdd(s.name, { meta, name: FS_NAME, metaUrl: groupUrl(s) })
  await withPlacement({ meta, name: FS_NAME }, placement => placement.update(c => ({
    ...c,
    pools: state.sites.map(s => ({ name: s.name, site: s.name, weight: 1, state: 'active' as const, config: pool(s) })),
    rules: [
      ...c.rules.filter(r => r.path === '/'),
      ...state.sites.map(s => ({ path: `/${s.name}`, policy: parsePolicy({ replicas: 1, sites: [s.name] }) })),
    ],
  })))
  for (const s of state.sites) await partitionAdd(`/${s.name}`, { meta, name: FS_NAME, group: s.name })
}

async function startMount(table: ProcessTable, site: SitePlan): Promise<void> {
  const mnt = mountDir(table.state.dir, site.name)
  mkdirSync(mnt, { recursive: true })
  // --site: blobs are read from the site's own pool first
  const args = [MERIDIAN, 'mount', mnt, '--meta', siteRootUrl(site), '--name', FS_NAME, '--reads', 'causal', '--site', site.name]
  for (const [group, url] of Object.entries(mountGroupUrls(site))) args.push('--group-url', `${group}=${url}`)
  const log = join(table.state.dir, site.name, 'mount.log')
  const entry = table.start({ name: `mount-${site.name}`, kind: 'mount', site: site.name, log, mnt }, process.execPath, args)
  const giveUp = Date.now() + START_MS
  while (!isMounted(mnt)) {
    if (!table.alive(entry)) throw new Error(`the mount of ${site.name} exited during start (see ${log})`)
    if (Date.now() > giveUp) throw new Error(`${mnt} was not mounted within ${START_MS / 1000} s (see ${log})`)
    await sleep(50)
  }
}
