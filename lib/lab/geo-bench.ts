// `meridian bench --lab`: the geo benchmark. It brings up a one-site lab (the single-site
// reference: the same groups, pools and partitions, no WAN) and the multi-site lab beside it,
// and measures each kind of operation on the single site and then from every site in turn,
// kind after kind, so that both see the same moment of a shared machine's load; then it takes
// the single site down and runs the local kinds with 1, 2 and 3 sites busy at once.
//
// WAN round trips per operation come from the link proxy's counters (links.ts: legs / 2 over
// every link), counted over the operations of one kind from one site, less what the links
// carried while idle (raft heartbeats, lease keep-alives) over as long, measured just before;
// WAN bytes likewise.
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { up } from './assembly'
import { memberStatus } from './etcd-members'
import { KINDS, LOCAL_KINDS, runFor, type Kind, type SiteView } from './geo-ops'
import { mountDir, proxySocket } from './layout'
import type { LabState } from './process-table'
import { ProxyControl } from './proxy-control'
import { teardown } from './teardown'

export interface GeoOptions {
  sites: string[]
  rttMs: number
  jitterMs: number
  /** operations per kind and site */
  count: number
  /** where the labs live while they run (default the temp dir) */
  dir?: string
  progress?: (line: string) => void
}

export interface OpStats {
  ops: number
  opsPerSec: number
  p50Ms: number
  p99Ms: number
  /** WAN round trips per operation (links.ts), idle traffic taken off; 0 where there is no WAN */
  wanTrips: number
  /** WAN bytes per operation, both ways, idle traffic taken off (bytes add up where legs merge) */
  wanBytes: number
}

export interface BusyStats {
  sites: number
  /** all sites' operations together per second */
  opsPerSec: number
  /** CPU the lab's processes and this one used, in cores, while they ran */
  cpuCores: number
}

export interface GeoReport {
  rttMs: number
  jitterMs: number
  count: number
  sites: string[]
  /** the site whose member led the global group when the measurements began */
  leaderSite?: string
  machine: { cpus: number; loadBefore: number[] }
  single: Record<Kind, OpStats>
  perSite: Record<string, Record<Kind, OpStats>>
  busy: Record<string, BusyStats[]>
  seconds: number
}

/** quantile q of sorted values */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

interface Traffic { legs: number; bytes: number }

/** traffic is what every link has carried so far, in legs and bytes */
async function traffic(control: ProxyControl | undefined): Promise<Traffic> {
  const links = control ? await control.links() : []
  return {
    legs: links.reduce((sum, l) => sum + l.legs, 0),
    bytes: links.reduce((sum, l) => sum + Object.values(l.bytes).reduce((a, b) => a + b, 0), 0),
  }
}

/** cpuSeconds is the CPU time, user and system, the given processes have used so far */
function cpuSeconds(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      ticks += Number(fields[11]) + Number(fields[12]) // utime, stime (fields 14 and 15)
    } catch { /* gone */ }
  }
  return ticks / 100
}

class LabBench {
  readonly control?: ProxyControl
  private readonly pids: number[]

  constructor(readonly state: LabState) {
    this.control = state.sites.length > 1 ? new ProxyControl(proxySocket(state.dir)) : undefined
    this.pids = [process.pid, ...state.processes.map(p => p.pid)]
  }

  view(site: string): SiteView {
    const names = this.state.sites.map(s => s.name)
    const k = names.indexOf(site)
    const next = names[(k + 1) % names.length]
    const plan = this.state.sites[k]
    return {
      site,
      mnt: mountDir(this.state.dir, site),
      renameTo: names.length > 1 ? next : '',
      writerMnt: mountDir(this.state.dir, next),
      caughtUp: () => this.caughtUp(`http://${plan.address}:${plan.global.client}`),
    }
  }

  async leaderSite(): Promise<string | undefined> {
    for (const s of this.state.sites) {
      const st = await memberStatus(`http://${s.address}:${s.global.client}`).catch(() => undefined)
      if (st && st.id === st.leader) return s.name
    }
    return undefined
  }

  /** measure runs count ops of kind in site one after the other */
  async measure(kind: Kind, site: string, count: number, round: string): Promise<OpStats> {
    const run = runFor(kind, this.view(site), round)
    await run.setup()
    const idle = await this.idleRate()
    const latencies: number[] = []
    const seen: Traffic = { legs: 0, bytes: 0 }
    let busyMs = 0
    for (let i = 0; i < count; i++) {
      await run.before?.(i)
      const before = await traffic(this.control)
      const t0 = performance.now()
      await run.op(i)
      const ms = performance.now() - t0
      const after = await traffic(this.control)
      seen.legs += after.legs - before.legs
      seen.bytes += after.bytes - before.bytes
      latencies.push(ms)
      busyMs += ms
    }
    const perOp = (n: number, idlePerMs: number) => Math.max(0, n - idlePerMs * busyMs) / count
    const sorted = [...latencies].sort((a, b) => a - b)
    return {
      ops: count,
      opsPerSec: count / (busyMs / 1000),
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      wanTrips: perOp(seen.legs, idle.legs) / 2,
      wanBytes: perOp(seen.bytes, idle.bytes),
    }
  }

  /** busy runs count ops of kind in each of sites at once; all operations per second, and CPU */
  async busy(kind: Kind, sites: string[], count: number, round: string): Promise<BusyStats> {
    const runs = sites.map(s => runFor(kind, this.view(s), round))
    await Promise.all(runs.map(r => r.setup()))
    const cpu0 = cpuSeconds(this.pids)
    const t0 = performance.now()
    await Promise.all(runs.map(async r => { for (let i = 0; i < count; i++) await r.op(i) }))
    const seconds = (performance.now() - t0) / 1000
    return { sites: sites.length, opsPerSec: (count * sites.length) / seconds, cpuCores: (cpuSeconds(this.pids) - cpu0) / seconds }
  }

  /** legs and bytes per ms the links carry while nothing runs */
  private async idleRate(ms = 2_000): Promise<Traffic> {
    if (!this.control) return { legs: 0, bytes: 0 }
    const before = await traffic(this.control)
    await sleep(ms)
    const after = await traffic(this.control)
    return { legs: (after.legs - before.legs) / ms, bytes: (after.bytes - before.bytes) / ms }
  }

  /** caughtUp waits until the member at client has applied what the leader had committed */
  private async caughtUp(client: string): Promise<void> {
    const leader = await this.leaderSite()
    const at = this.state.sites.find(s => s.name === leader)
    if (!at) return
    const target = (await memberStatus(`http://${at.address}:${at.global.client}`)).revision
    const giveUp = Date.now() + 10_000
    while ((await memberStatus(client)).revision < target && Date.now() < giveUp) await sleep(5)
  }
}

// Interrupted (Ctrl-C), the benchmark still takes every lab it runs down before it exits.
/** the base directories of the labs running now, each holding its lab in lab/ */
const running = new Set<string>()
const SIGNALS = ['SIGINT', 'SIGTERM'] as const
function interrupted(): void {
  const down = (base: string) => teardown(join(base, 'lab')).finally(() => rm(base, { recursive: true, force: true }))
  void Promise.allSettled([...running].map(down)).finally(() => process.exit(130))
}

/** withLab runs fn on a lab of sites in a fresh directory, and takes the lab down after */
async function withLab<T>(opts: GeoOptions, sites: string[], rttMs: number, fn: (b: LabBench) => Promise<T>): Promise<T> {
  const base = await mkdtemp(join(opts.dir ?? os.tmpdir(), 'meridian-geo-'))
  try {
    const dir = join(base, 'lab')
    // known before it starts: an interruption during up finds what up has recorded so far
    running.add(base)
    if (running.size === 1) for (const sig of SIGNALS) process.once(sig, interrupted)
    try {
      const state = await up({ sites, rttMs, jitterMs: rttMs === 0 ? 0 : opts.jitterMs, dir })
      try {
        return await fn(new LabBench(state))
      } finally {
        await teardown(state.dir)
      }
    } finally {
      running.delete(base)
      if (running.size === 0) for (const sig of SIGNALS) process.off(sig, interrupted)
    }
  } finally {
    await rm(base, { recursive: true, force: true })
  }
}

export async function geoBench(opts: GeoOptions): Promise<GeoReport> {
  const progress = opts.progress ?? (() => {})
  const started = Date.now()
  const loadBefore = os.loadavg().map(l => Math.round(l * 100) / 100)
  progress(`a single site, and ${opts.sites.length} sites ${opts.rttMs} ms apart: starting`)
  const single = {} as Record<Kind, OpStats>
  const perSite: Record<string, Record<Kind, OpStats>> = Object.fromEntries(opts.sites.map(s => [s, {} as Record<Kind, OpStats>]))
  const busy: Record<string, BusyStats[]> = {}
  const leaderSite = await withLab(opts, opts.sites, opts.rttMs, async b => {
    const leader = await b.leaderSite()
    await withLab(opts, ['single'], 0, async one => {
      for (const kind of KINDS) {
        single[kind] = await one.measure(kind, 'single', opts.count, 'm')
        for (const site of opts.sites) perSite[site][kind] = await b.measure(kind, site, opts.count, 'm')
        progress(`${kind}: p50 single ${single[kind].p50Ms.toFixed(1)} ms, ` +
          opts.sites.map(s => `${s} ${perSite[s][kind].p50Ms.toFixed(1)} ms (${perSite[s][kind].wanTrips.toFixed(2)} WAN RT)`).join(', '))
      }
    })
    for (const kind of LOCAL_KINDS) {
      busy[kind] = []
      for (let n = 1; n <= opts.sites.length; n++) {
        busy[kind].push(await b.busy(kind, opts.sites.slice(0, n), opts.count, `busy${n}`))
        progress(`${kind}, ${n} site(s) busy: ${busy[kind].at(-1)!.opsPerSec.toFixed(0)} ops/s`)
      }
    }
    return leader
  })
  return {
    rttMs: opts.rttMs, jitterMs: opts.jitterMs, count: opts.count, sites: opts.sites, leaderSite,
    machine: { cpus: os.cpus().length, loadBefore }, single, perSite, busy, seconds: (Date.now() - started) / 1000,
  }
}
