// The 's3' driver: a pool that is a bucket (or a prefix in one) on any S3-compatible server.
// Config fields: see config.ts. Opening a pool asks the server for the bucket, so a wrong
// endpoint, bucket or credentials fail at `pool add` and `format`, not at the first write.
import { ConfigError, FsError } from '../../lib/errors'
import type { DriverFactory, PoolConfig } from '../driver'
import { registerDriver } from '../registry'
import { parseS3Config } from './config'
import { S3Pool } from './s3-pool'

/** which pool option a failed bucket check points at */
const FIELD_AT_FAULT: Partial<Record<string, string>> = { ENOENT: 'bucket', EACCES: 'credentials' }

export const openS3Pool: DriverFactory = async (config: PoolConfig) => {
  const pool = new S3Pool(parseS3Config(config))
  try {
    await pool.check()
  } catch (err) {
    await pool.close()
    if (err instanceof FsError) throw new ConfigError(FIELD_AT_FAULT[err.code] ?? 'endpoint', err.message)
    throw err
  }
  return pool
}

/** register is the loadDriver hook. */
export function register(r: typeof registerDriver): void {
  r('s3', openS3Pool)
}

register(registerDriver)
