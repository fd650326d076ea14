// Placement policies per path prefix: the longest prefix that contains a path wins, by whole
// components ('/eu' covers '/eu/x' but not '/europe'). '/' always has one (the default).
import { overLimits } from '../fs/names'
import { ConfigError } from '../errors'

export type Spread = 'site' | 'pool'

export interface Policy {
  /** how many copies every blob gets */
  replicas: number
  /** copies durable before close/fsync returns; the rest go through the replicator. 1 <= sync <= replicas */
  sync: number
  /** copies go to distinct sites, or just distinct pools */
  spread: Spread
  /** only pools in these sites (absent: any) */
  sites?: string[]
  /** only these pools (absent: any) */
  pools?: string[]
}

export interface PolicyRule {
  path: string
  policy: Policy
}

/** defaultPolicy is the root policy before anyone sets one: the copies `format` asked for */
export function defaultPolicy(copies: number): Policy {
  return { replicas: copies, sync: copies, spread: 'pool' }
}

/** normalizePath checks a policy path: absolute, no empty, . or .. components, no trailing slash */
export function normalizePath(path: string, field = 'path'): string {
  if (!path.startsWith('/')) throw new ConfigError(field, `'${path}' must be an absolute path in the filesystem`)
  const parts = path.split('/').filter(p => p !== '')
  if (parts.some(p => p === '.' || p === '..')) throw new ConfigError(field, `'${path}' must not contain . or ..`)
  const tooLong = overLimits(path)
  if (tooLong) throw new ConfigError(field, tooLong)
  return '/' + parts.join('/')
}

function covers(prefix: string, path: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(prefix + '/')
}

/** ruleFor is the rule in force at path: the longest covering prefix (rules must include '/') */
export function ruleFor(path: string, rules: PolicyRule[]): PolicyRule | undefined {
  let best: PolicyRule | undefined
  for (const rule of rules) {
    if (covers(rule.path, path) && (!best || rule.path.length > best.path.length)) best = rule
  }
  return best
}
