// The 's3' driver: a pool that is a bucket (or a prefix in one) on any S3-compatible server.
// Config fields: see config.ts. The AWS SDK is loaded when the first s3 pool is opened, so
// commands that open none do not pay for loading it.
import type { DriverFactory } from '../driver'
import { registerDriver } from '../registry'

const openS3Pool: DriverFactory = async config => (await import('./open-s3-pool')).openS3Pool(config)

/** register is the loadDriver hook. */
export function register(r: typeof registerDriver): void {
  r('s3', openS3Pool)
}

register(registerDriver)
