// Drivers register by name; third-party drivers load from an npm package or a path.
import { ConfigError } from '../lib/errors'
import type { DriverFactory, PoolConfig, PoolDriver } from './driver'

const factories = new Map<string, DriverFactory>()

/** registerDriver makes a driver available under name. */
export function registerDriver(name: string, factory: DriverFactory): void {
  factories.set(name, factory)
}

/** loadDriver requires a module (npm package name or path) that calls registerDriver. */
export function loadDriver(specifier: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(specifier) as { register?: (r: typeof registerDriver) => void }
  if (typeof mod.register === 'function') mod.register(registerDriver)
}

/** openPool opens the driver a pool definition names. */
export async function openPool(config: PoolConfig): Promise<PoolDriver> {
  const factory = factories.get(config.driver)
  if (!factory) {
    throw new ConfigError('driver', `unknown pool driver '${config.driver}' (known: ${[...factories.keys()].join(', ')})`)
  }
  return factory(config)
}
