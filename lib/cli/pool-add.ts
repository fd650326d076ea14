// meridian pool add: define a pool (driver, site, weight, driver options) in the pool map.
// The pool is opened first, so bad driver options or an unreachable endpoint change nothing.
import { Command } from 'commander'
import { resolve } from 'node:path'
import type { PoolConfig } from '../../drivers/driver'
import { loadDriver } from '../../drivers'
import { ConfigError } from '../errors'
import { POOL_NAME, type PoolSpec } from '../placement/pool-map'
import { print } from './run'
import { openDriver, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { probeWrites } from './pool-probe'

export interface PoolAddOptions extends PlacementCliOptions {
  driver: string
  site: string
  weight?: string
  /** driver options, key=value, repeatable */
  opt?: string[]
  /** the local driver's directory (the same as --opt path=...) */
  path?: string
}

const BUILT_IN = new Set(['local', 's3'])

/** parseWeight reads a positive number */
export function parseWeight(text: string | undefined): number {
  if (text === undefined) return 1
  const w = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !(w > 0)) throw new ConfigError('weight', `'${text}' must be a number above 0`)
  return w
}

/**
 * driverConfig is the pool config that a driver (built-in name, npm package or path) and
 * key=value options describe; a module driver is loaded to learn its name. Shared with
 * `driver-test`.
 */
export function driverConfig(driver: string, opt: string[] = []): PoolConfig {
  const config: PoolConfig = { driver }
  if (!BUILT_IN.has(driver)) {
    const names = loadDriver(driver)
    if (names.length !== 1) throw new ConfigError('driver', `module '${driver}' registers ${names.length} drivers; it must register exactly one`)
    config.driver = names[0]
    config.module = driver
  }
  for (const kv of opt) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(.*)$/.exec(kv)
    if (!m) throw new ConfigError('opt', `'${kv}' is not key=value`)
    if (m[1] in config) throw new ConfigError(`opt ${m[1]}`, 'is given twice')
    config[m[1]] = m[2] === 'true' ? true : m[2] === 'false' ? false : /^\d+$/.test(m[2]) ? Number(m[2]) : m[2]
  }
  return config
}

function poolConfig(opts: PoolAddOptions): PoolConfig {
  const config = driverConfig(opts.driver, opts.opt)
  if (opts.path !== undefined) config.path = opts.path
  // a relative directory means one relative to where the command ran, not to whoever opens the pool later
  if (config.driver === 'local' && typeof config.path === 'string') config.path = resolve(config.path)
  return config
}

export async function poolAdd(name: string, opts: PoolAddOptions): Promise<PoolSpec> {
  if (!POOL_NAME.test(name)) throw new ConfigError('name', `'${name}' must be 1-64 letters, digits, . _ - (starting with a letter or digit)`)
  if (!POOL_NAME.test(opts.site ?? '')) throw new ConfigError('site', `'${opts.site}' must be 1-64 letters, digits, . _ -`)
  const spec: PoolSpec = { name, site: opts.site, weight: parseWeight(opts.weight), state: 'active', config: poolConfig(opts) }
  const refuseTaken = (pools: PoolSpec[]) => {
    if (pools.some(p => p.name === name)) throw new ConfigError('name', `pool '${name}' exists already`)
  }
  return withPlacement(opts, async placement => {
    // the store and the name first: opening the driver may create the pool (a local directory)
    refuseTaken((await placement.load()).pools)
    const driver = await openDriver(spec)
    try {
      await probeWrites(name, driver)
    } finally {
      await driver.close()
    }
    await placement.update(c => {
      refuseTaken(c.pools)
      return { ...c, pools: [...c.pools, spec] }
    })
    return spec
  })
}

/** collect gathers a repeatable option */
export const collect = (value: string, previous: string[] = []) => [...previous, value]

export function poolAddCommand(): Command {
  return withCommonOptions(new Command('add'))
    .description('add a pool: a storage target in a site (the pool is opened first; nothing changes if that fails)')
    .argument('<name>', 'pool name')
    .requiredOption('--driver <driver>', 'local, s3, or an npm package or path of a third-party driver')
    .requiredOption('--site <site>', 'the site (datacenter) the pool is in')
    .option('--weight <w>', 'share of the blobs relative to other pools (default 1)')
    .option('--path <dir>', 'the local driver\'s directory')
    .option('--opt <key=value>', 'a driver option, repeatable (s3: bucket, endpoint, region, pathStyle, prefix, profile, ...)', collect)
    .action(async (name: string, opts: PoolAddOptions) => {
      const p = await poolAdd(name, opts)
      print(opts.json, { ...p }, `added pool '${p.name}' (${p.config.driver}, site ${p.site}, weight ${p.weight})`)
    })
}
