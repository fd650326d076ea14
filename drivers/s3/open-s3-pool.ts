// Opening an s3 pool. It asks the server for the bucket, so a wrong endpoint, bucket or
// credentials fail at `pool add` and `format`, not at the first write.
import { ConfigError, FsError } from '../../lib/errors'
import type { DriverFactory, PoolConfig } from '../driver'
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
