// The geo benchmark's report for people: one table per site, each kind of operation beside
// the single-site figure, then the local kinds with 1..N sites busy at once.
import { grid, num } from '../bench/table'
import { KINDS } from './geo-ops'
import type { GeoReport } from './geo-bench'

export function renderGeo(r: GeoReport): string {
  const out = [
    `Meridian geo bench: ${r.sites.length} sites (${r.sites.join(', ')}), ${r.rttMs} ms round trip, jitter ${r.jitterMs} ms; ` +
      `${r.count} operations per kind and site; the global group's leader in ${r.leaderSite ?? '(unknown)'}`,
    `${r.machine.cpus} CPUs, load average before ${r.machine.loadBefore.join(' ')}; ${r.seconds.toFixed(0)} s`,
  ]
  for (const site of r.sites) {
    out.push('', `from ${site}${site === r.leaderSite ? ' (leader site)' : ''}:`)
    out.push(grid([
      ['operation', 'ops/s', 'p50 ms', 'p99 ms', 'WAN RT/op', 'WAN B/op', 'p50/RTT', 'single ops/s', 'single p50', 'p50/single'],
      ...KINDS.map(k => {
        const s = r.perSite[site][k]
        const one = r.single[k]
        return [k, num(s.opsPerSec), num(s.p50Ms), num(s.p99Ms), num(s.wanTrips), num(s.wanBytes), num(s.p50Ms / r.rttMs), num(one.opsPerSec), num(one.p50Ms), num(s.p50Ms / one.p50Ms)]
      }),
    ]))
  }
  const n = r.sites.length
  out.push('', 'local operations with 1..N sites busy at once (all sites\' ops/s together; CPU of every lab process, in cores):')
  out.push(grid([
    ['operation', ...Array.from({ length: n }, (_, i) => `${i + 1} site(s)`), `${n}/1`],
    ...Object.entries(r.busy).map(([kind, runs]) => [
      kind, ...runs.map(b => `${num(b.opsPerSec)} (${b.cpuCores.toFixed(2)} CPU)`), num(runs[n - 1].opsPerSec / runs[0].opsPerSec),
    ]),
  ]))
  return out.join('\n')
}
