// How each party reaches each group in a lab. The root group lists one URL per group, as every
// real deployment does; a site's mount overrides them (`meridian mount --group-url`) with its
// own way there: its own group directly, every other site's group through the link proxy.
import type { SitePlan } from './sites'

/** the root group as the operator (lab up, lab status) reaches it: every member, directly */
export function operatorRootUrl(sites: SitePlan[]): string {
  return `etcd://${sites.map(s => `${s.address}:${s.global.client}`).join(',')}`
}

/**
 * the root group as site's mount reaches it: through its own site's member only, which also
 * serves its reads. (etcd3's client picks an endpoint at random on every call: with all
 * members listed, a write from eu would go straight to asia's member one call in three.)
 */
export function siteRootUrl(site: SitePlan): string {
  const own = `${site.address}:${site.global.client}`
  return `etcd://${own}?nearest=${own}`
}

/** the URL the root group lists for site's own group */
export function groupUrl(site: SitePlan): string {
  return `etcd://${site.address}:${site.local.client}`
}

/** group -> URL, how `from`'s mount reaches every site group: its own directly, others through the proxy */
export function mountGroupUrls(from: SitePlan): Record<string, string> {
  const out: Record<string, string> = { [from.name]: groupUrl(from) }
  for (const [other, port] of Object.entries(from.remote)) out[other] = `etcd://${from.address}:${port}`
  return out
}
