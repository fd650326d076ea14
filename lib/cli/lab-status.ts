// meridian lab status: sites, members and leaders, groups and revisions, pools, mounts, links.
import { Command } from 'commander'
import { join, resolve } from 'node:path'
import { grid } from '../bench/table'
import { survey, type LabSurvey } from '../lab/survey'
import { meridianHome } from './format'

export interface LabStatusOptions {
  dir?: string
  json?: boolean
}

/** labDir is the lab's directory: --dir, or ~/.meridian/lab */
export function labDir(dir: string | undefined): string {
  return resolve(dir ?? join(meridianHome(), 'lab'))
}

/** indent sets a table under its heading */
const indent = (text: string) => text.split('\n').map(l => `  ${l}`).join('\n')

/** describe is the survey for people: one small table per kind of thing */
export function describe(s: LabSurvey): string {
  const out = [`lab ${s.dir}: ${s.ready ? 'up' : 'not (fully) up'}, ${s.sites.length} sites, rtt ${s.rttMs} ms, jitter ${s.jitterMs} ms`]
  out.push('sites', indent(grid([['site', 'address'], ...s.sites.map(x => [x.name, x.address])])))
  out.push('members', indent(grid([['member', 'site', 'group', 'pid', 'state', 'revision'], ...s.members.map(m => [
    m.name, m.site, m.group, String(m.pid ?? '-'), !m.alive ? 'stopped' : m.error ? `error: ${m.error}` : m.leader ? 'leader' : 'follower', String(m.revision ?? '-'),
  ])])))
  out.push('groups', indent(grid([['group', 'leader', 'revision'], ...s.groups.map(g => [g.group, g.leader ?? '(none)', String(g.revision ?? '-')])])))
  out.push('pools', indent(grid([['pool', 'site', 'path'], ...s.pools.map(p => [p.name, p.site, String(p.path ?? '')])])))
  out.push('mounts', indent(grid([['site', 'dir', 'pid', 'mounted'], ...s.mounts.map(m => [m.site, m.dir, String(m.pid ?? '-'), m.mounted ? 'yes' : 'no'])])))
  out.push('links', indent(grid([['link', 'bytes each way', 'round trips', 'connections', 'state'], ...s.links.map(l => [
    l.link, Object.entries(l.bytes).map(([d, n]) => `${d} ${n}`).join(', '), String(l.roundTrips), String(l.connections), l.cut ? 'cut' : 'up',
  ])])))
  for (const e of s.errors) out.push(`error: ${e}`)
  return out.join('\n')
}

export function labStatusCommand(): Command {
  return new Command('status')
    .description('the lab now: sites, members and leaders, groups and revisions, pools, mounts, per-link counters')
    .option('--dir <dir>', 'the lab (default ~/.meridian/lab)')
    .option('--json', 'print JSON')
    .action(async (opts: LabStatusOptions) => {
      const s = await survey(labDir(opts.dir))
      process.stdout.write((opts.json ? JSON.stringify(s) : describe(s)) + '\n')
    })
}
