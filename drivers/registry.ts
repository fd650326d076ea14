// Drivers register by name; third-party drivers load from an npm package or a path. A pool
// of a third-party driver carries `module` (the package or path) in its config, so that any
// process opening the pool loads the driver first.
import path from 'node:path'
import { ConfigError } from '../lib/errors'
import type { DriverFactory, PoolConfig, PoolDriver } from './driver'

const factories = new Map<string, DriverFactory>()

/** registerDriver makes a driver available under name. */
export function registerDriver(name: string, factory: DriverFactory): void {
  factories.set(name, factory)
}

/**
 * loadDriver requires a module (npm package name, or a path: absolute or starting with ./)
 * whose register export calls registerDriver; it returns the names the module registered.
 */
export function loadDriver(specifier: string): string[] {
  const target = specifier.startsWith('.') ? path.resolve(specifier) : specifier
  let mod: { register?: (r: typeof registerDriver) => void }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(target) as typeof mod
  } catch (err) {
    throw new ConfigError('driver', `cannot load driver module '${specifier}' (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  if (typeof mod.register !== 'function') throw new ConfigError('driver', `module '${specifier}' exports no register(registerDriver) function`)
  const names: string[] = []
  mod.register((name, factory) => { names.push(name); registerDriver(name, factory) })
  return names
}

/** openPool opens the driver a pool definition names (loading its module first, if it has one). */
export async function openPool(config: PoolConfig): Promise<PoolDriver> {
  const { module, ...driverConfig } = config
  if (!factories.has(config.driver) && typeof module === 'string') loadDriver(module)
  const factory = factories.get(config.driver)
  if (!factory) {
    throw new ConfigError('driver', `unknown pool driver '${config.driver}' (known: ${[...factories.keys()].join(', ')})`)
  }
  return factory(driverConfig as PoolConfig)
}
