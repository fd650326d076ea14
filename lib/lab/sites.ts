// The sites of a lab and where each of its processes listens. Every site gets its own loopback
// address, 127.0.<n>.1 (Linux answers the whole of 127.0.0.0/8 on lo with no setup), so a
// process's address says which site it is in; ports are picked free on that address.
//
// Per site:   global.client   its member of the global (root) group, for its own site's clients
//             global.peer     that member's raft port, reached only through global.peerProxy
//             global.peerProxy the address the member advertises to its peers: the link proxy
//             local.client / local.peer  the site's own group (one member)
//             remote[S]       in this site, the link proxy's way to site S's local group
import net from 'node:net'
import { ConfigError } from '../errors'

export interface SitePlan {
  name: string
  /** 1-based: the site's address is 127.0.<index>.1 */
  index: number
  address: string
  global: { client: number; peer: number; peerProxy: number }
  local: { client: number; peer: number }
  /** other site -> the port, on this site's address, that leads to that site's local group */
  remote: Record<string, number>
}

const SITE_NAME = /^[a-z][a-z0-9]{0,15}$/

/** parseSites reads eu,us,asia: 1 to 8 distinct short lowercase names */
export function parseSites(text: string): string[] {
  const sites = text.split(',').map(s => s.trim()).filter(s => s !== '')
  if (sites.length < 1 || sites.length > 8) throw new ConfigError('sites', `'${text}' must name 1 to 8 sites, e.g. eu,us,asia`)
  for (const s of sites) {
    if (!SITE_NAME.test(s)) throw new ConfigError('sites', `'${s}' must be a lowercase letter followed by up to 15 letters or digits`)
    if (s === 'root') throw new ConfigError('sites', "'root' names the global group: pick another site name")
  }
  if (new Set(sites).size !== sites.length) throw new ConfigError('sites', `'${text}' names a site twice`)
  return sites
}

export function siteAddress(index: number): string {
  return `127.0.${index}.1`
}

/** siteOfAddress is the site whose address host is, if any */
export function siteOfAddress(plans: SitePlan[], host: string): string | undefined {
  return plans.find(p => p.address === host)?.name
}

/** freePorts picks n distinct free ports on address: every probe stays open until all are picked */
async function freePorts(address: string, n: number): Promise<number[]> {
  const servers: net.Server[] = []
  try {
    for (let k = 0; k < n; k++) {
      const server = net.createServer()
      servers.push(server)
      await new Promise<void>((resolve, reject) => { server.once('error', reject).listen(0, address, resolve) })
    }
    return servers.map(s => (s.address() as net.AddressInfo).port)
  } finally {
    await Promise.all(servers.map(s => new Promise<void>(resolve => { s.close(() => resolve()) })))
  }
}

/** planSites gives every site its address and ports */
export async function planSites(sites: string[]): Promise<SitePlan[]> {
  const plans: SitePlan[] = []
  for (const [i, name] of sites.entries()) {
    const address = siteAddress(i + 1)
    const others = sites.filter(s => s !== name)
    const [client, peer, peerProxy, localClient, localPeer, ...rest] = await freePorts(address, 5 + others.length)
    plans.push({
      name, index: i + 1, address,
      global: { client, peer, peerProxy },
      local: { client: localClient, peer: localPeer },
      remote: Object.fromEntries(others.map((s, k) => [s, rest[k]])),
    })
  }
  return plans
}
