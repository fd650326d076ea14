import t from 'tap'
import { normalizePath, ruleFor, type PolicyRule } from '../lib/placement/policy'
import { parsePolicy, parsePolicyYaml, policyYaml } from '../lib/placement/policy-schema'

t.test('the longest prefix wins, by whole components', async t => {
  const rules: PolicyRule[] = [
    { path: '/', policy: { replicas: 1, sync: 1, spread: 'pool' } },
    { path: '/eu', policy: { replicas: 2, sync: 1, spread: 'pool' } },
    { path: '/eu/hot', policy: { replicas: 3, sync: 2, spread: 'site' } },
  ]
  const cases: Array<[string, string]> = [
    ['/', '/'], ['/x', '/'], ['/eu', '/eu'], ['/eu/a/b', '/eu'], ['/europe', '/'], ['/eu/hot', '/eu/hot'],
    ['/eu/hot/x', '/eu/hot'], ['/eu/hotter', '/eu'],
  ]
  for (const [path, from] of cases) t.equal(ruleFor(path, rules)?.path, from, `${path} -> ${from}`)
})

t.test('policy paths are normalised or refused', async t => {
  t.equal(normalizePath('/a//b/'), '/a/b')
  t.equal(normalizePath('/'), '/')
  t.throws(() => normalizePath('a/b'), { name: 'ConfigError', field: 'path' })
  t.throws(() => normalizePath('/a/../b'), { name: 'ConfigError', field: 'path' })
})

t.test('a policy gets its defaults', async t => {
  t.same(parsePolicy({ replicas: 2 }), { replicas: 2, sync: 2, spread: 'pool' })
  t.same(parsePolicy({ replicas: 3, sync: 1, spread: 'site', sites: ['eu', 'us'] }), { replicas: 3, sync: 1, spread: 'site', sites: ['eu', 'us'] })
})

t.test('bad policies and files name the field', async t => {
  const single: Array<[unknown, string, RegExp]> = [
    [{}, 'replicas', /is required/],
    [{ replicas: 0 }, 'replicas', /must be >= 1/],
    [{ replicas: 1.5 }, 'replicas', /must be integer/],
    [{ replicas: 2, spread: 'rack' }, 'spread', /must be one of site, pool/],
    [{ replicas: 2, sites: [] }, 'sites', /fewer than 1/],
    [{ replicas: 2, sites: ['a b'] }, 'sites.0', /must match pattern/],
    [{ replicas: 2, colour: 'red' }, 'colour', /is not a known field \(known: replicas, sync, spread, sites, pools\)/],
  ]
  for (const [input, field, message] of single) {
    t.throws(() => parsePolicy(input), { name: 'ConfigError', field, message }, JSON.stringify(input))
  }
  const files: Array<[string, string, RegExp]> = [
    ['policies: {/: {replicas: 2}', 'file', /not valid YAML at line 1/],
    ['policies:\n  /: {replicas: 2}\n  /: {replicas: 3}\n', 'file', /not valid YAML at line 3/],
    ['policy:\n  /: {replicas: 2}\n', 'policies', /is required/],
    ['policies:\n  /: {replicas: 2}\nextra: 1\n', 'extra', /is not a known field \(known: policies\)/],
    ['policies:\n  /eu: {replicas: two}\n', 'policies./eu.replicas', /must be integer/],
    ['policies:\n  /eu: {replicas: 2, sync: 0}\n', 'policies./eu.sync', /must be >= 1/],
    ['policies:\n  eu: {replicas: 2}\n', 'policies.eu', /absolute path/],
    ['policies:\n  /eu: {replicas: 2}\n  /eu/: {replicas: 1}\n', 'policies./eu/', /same path/],
    ['policies: {}\n', 'policies', /fewer than 1/],
    ['- 1\n- 2\n', '', /must be object/],
  ]
  for (const [text, field, message] of files) {
    t.throws(() => parsePolicyYaml(text), { name: 'ConfigError', field, message }, JSON.stringify(text))
  }
})

t.test('export reads back to the same rules', async t => {
  const rules = parsePolicyYaml('policies:\n  /eu: {replicas: 2, sites: [eu], sync: 1}\n  /: {replicas: 1}\n')
  const again = parsePolicyYaml(policyYaml(rules))
  t.same(again, [...rules].sort((a, b) => (a.path < b.path ? -1 : 1)))
})
