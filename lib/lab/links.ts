// The WAN between a lab's sites: every listener of the link proxy, what each costs in delay,
// which site pair (link) each chunk travels on, and the counters of every link.
//
// A listener either serves one known site pair (a site's clients reaching another site's
// group: it listens on the client site's address) or stands in front of a global member's raft
// port (peers of every other site reach it there, as etcd knows one peer URL per member). On
// a raft connection the sending member names itself in its first request's headers
// (X-Server-From: <member id in hex>, X-PeerURLs: its advertised URL), which names its site.
//
// Round trips. A link's traffic, in the order the proxy receives it and over all its
// connections together, is a sequence of legs: a leg is a maximal run of chunks going one way
// (a -> b) before a chunk goes the other way (b -> a). A request answered is two legs; a
// follower's forward to the leader, the leader's append to a follower, the follower's ack and
// the answer back are four legs over two links. roundTrips = legs / 2. Legs of concurrent
// conversations on one link interleave: count them on one operation at a time, less what the
// link carries idle (raft heartbeats, lease keep-alives) over the same time.
import { DelayProxy } from './delay-proxy'

export interface ListenerSpec {
  /** where the proxy listens */
  host: string
  port: number
  /** where it forwards */
  targetHost: string
  targetPort: number
  /** the site of the target */
  to: string
  /** the site of the clients, when the listener serves one site pair; absent for a raft port */
  from?: string
}

export interface ProxyConfig {
  rttMs: number
  jitterMs: number
  /** address -> site, to read a raft sender's site from its advertised peer URL */
  addresses: Record<string, string>
  listeners: ListenerSpec[]
}

export interface LinkCounters {
  /** "a-b", sites in name order; "?-b" for raft traffic whose sender is not known yet */
  link: string
  /** bytes per direction: "a->b", "b->a" */
  bytes: Record<string, number>
  legs: number
  roundTrips: number
  connections: number
  cut: boolean
}

interface Counting {
  bytes: Record<string, number>
  legs: number
  last?: string
  connections: number
}

/** the id of a site pair, sites in name order */
export function linkName(a: string, b: string): string {
  return [a, b].sort().join('-')
}

export class Links {
  private readonly proxies: Array<{ spec: ListenerSpec; proxy: DelayProxy }> = []
  private readonly counts = new Map<string, Counting>()
  private readonly cutSites = new Set<string>()
  /** raft member id (hex) -> its site */
  private readonly memberSites = new Map<string, string>()

  private constructor(private readonly config: ProxyConfig) {}

  static async start(config: ProxyConfig): Promise<Links> {
    const links = new Links(config)
    try {
      for (const spec of config.listeners) {
        const proxy = await DelayProxy.start({ host: spec.host, port: spec.port, targetHost: spec.targetHost, targetPort: spec.targetPort })
        proxy.setRule(head => links.delay(spec, head))
        proxy.setObserver((head, toTarget, bytes) => links.count(spec, head, toTarget, bytes))
        links.proxies.push({ spec, proxy })
      }
    } catch (err) {
      await links.close()
      throw err
    }
    return links
  }

  /** setMembers tells which site each raft member id (hex) is in */
  setMembers(ids: Record<string, string>): void {
    for (const [id, site] of Object.entries(ids)) this.memberSites.set(id.toLowerCase(), site)
  }

  /** cut drops every connection to or from site and refuses new ones until heal */
  cut(site: string): void {
    this.cutSites.add(site)
    for (const { spec, proxy } of this.proxies) {
      if (spec.to === site || spec.from === site) proxy.cutWhere(() => true)
      else proxy.cutWhere(head => this.origin(spec, head) === site)
    }
  }

  /** heal ends every cut */
  heal(): void {
    this.cutSites.clear()
  }

  counters(): LinkCounters[] {
    return [...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([link, c]) => ({
      link, bytes: { ...c.bytes }, legs: c.legs, roundTrips: c.legs / 2, connections: c.connections,
      cut: link.split('-').some(s => this.cutSites.has(s)),
    }))
  }

  close(): Promise<void[]> {
    return Promise.all(this.proxies.map(p => p.proxy.close()))
  }

  /** origin is the site a connection comes from, when known */
  private origin(spec: ListenerSpec, head: Buffer): string | undefined {
    if (spec.from) return spec.from
    const text = head.toString('latin1')
    const id = /X-Server-From: ([0-9a-f]+)/i.exec(text)?.[1]
    const byId = id === undefined ? undefined : this.memberSites.get(id.toLowerCase())
    if (byId) return byId
    const host = /X-PeerURLs: https?:\/\/([\d.]+):/i.exec(text)?.[1]
    return host === undefined ? undefined : this.config.addresses[host]
  }

  private delay(spec: ListenerSpec, head: Buffer): number | 'cut' {
    const from = this.origin(spec, head)
    if (this.cutSites.has(spec.to) || (from !== undefined && this.cutSites.has(from))) return 'cut'
    // one way is half the round trip, give or take half the jitter
    return Math.max(0, this.config.rttMs / 2 + (Math.random() - 0.5) * this.config.jitterMs)
  }

  private count(spec: ListenerSpec, head: Buffer, toTarget: boolean, bytes: number): void {
    const from = this.origin(spec, head) ?? '?'
    const link = from === '?' ? `?-${spec.to}` : linkName(from, spec.to)
    let c = this.counts.get(link)
    if (!c) this.counts.set(link, c = { bytes: {}, legs: 0, connections: 0 })
    const dir = toTarget ? `${from}->${spec.to}` : `${spec.to}->${from}`
    c.bytes[dir] = (c.bytes[dir] ?? 0) + bytes
    if (c.last !== dir) c.legs++
    c.last = dir
    // a connection is counted by its first chunk: the client's request
    if (toTarget && head.length === bytes) c.connections++
  }
}
