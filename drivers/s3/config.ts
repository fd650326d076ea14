// The s3 driver's pool config, checked field by field. Credentials are never part of it:
// a pool definition is stored in the metadata and printed by `pool ls`, so the driver takes
// them from the environment or the AWS config files (the SDK's default chain), by `profile`.
//
//   bucket         the bucket (required; it must exist)
//   endpoint       http(s)://host[:port] of any S3-compatible server (default: AWS for region)
//   region         default us-east-1
//   pathStyle      address the bucket as endpoint/bucket rather than bucket.endpoint (default false)
//   prefix         key prefix inside the bucket, e.g. 'meridian/eu/' (default none)
//   profile        the profile of ~/.aws/credentials and ~/.aws/config to use
//   partSize       multipart part size in bytes, at least 5 MiB (default 8 MiB); larger blobs go in parts
//   maxAttempts    tries per request on transient errors, with exponential backoff (default 5)
//   timeoutMs      per-request timeout (default 30000)
//   capacityBytes  what usage() reports as total (S3 has no capacity; default 1 PiB)
import { ConfigError } from '../../lib/errors'
import type { PoolConfig } from '../driver'

const MiB = 1024 * 1024

export interface S3Config {
  bucket: string
  endpoint?: string
  region: string
  pathStyle: boolean
  prefix: string
  profile?: string
  partSize: number
  maxAttempts: number
  timeoutMs: number
  capacityBytes: number
}

const FIELDS = new Set(['driver', 'bucket', 'endpoint', 'region', 'pathStyle', 'prefix', 'profile', 'partSize', 'maxAttempts', 'timeoutMs', 'capacityBytes'])
const SECRET_FIELDS = /^(access|secret|session|credential|password|token)/i

export function parseS3Config(config: PoolConfig): S3Config {
  for (const field of Object.keys(config)) {
    if (SECRET_FIELDS.test(field)) {
      throw new ConfigError(field, 'credentials never go in a pool definition: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use profile')
    }
    if (!FIELDS.has(field)) throw new ConfigError(field, `unknown s3 pool option (known: ${[...FIELDS].filter(f => f !== 'driver').join(', ')})`)
  }
  return {
    bucket: bucketName(config.bucket),
    endpoint: config.endpoint === undefined ? undefined : endpointUrl(config.endpoint),
    region: text('region', config.region, 'us-east-1'),
    pathStyle: flag('pathStyle', config.pathStyle),
    prefix: prefix(config.prefix),
    profile: config.profile === undefined ? undefined : text('profile', config.profile, ''),
    partSize: whole('partSize', config.partSize, 8 * MiB, 5 * MiB),
    maxAttempts: whole('maxAttempts', config.maxAttempts, 5, 1),
    timeoutMs: whole('timeoutMs', config.timeoutMs, 30_000, 1),
    capacityBytes: whole('capacityBytes', config.capacityBytes, 1024 ** 5, 1),
  }
}

function bucketName(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
    throw new ConfigError('bucket', 'must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens')
  }
  return value
}

function endpointUrl(value: unknown): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new ConfigError('endpoint', `'${String(value)}' is not a URL (e.g. http://127.0.0.1:9000)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('endpoint', 'must be http:// or https://')
  if (url.username || url.password) throw new ConfigError('endpoint', 'must not carry credentials')
  return url.origin
}

function text(field: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '') throw new ConfigError(field, 'must be a non-empty string')
  return value
}

function flag(field: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === 'false') return value === 'true'
  throw new ConfigError(field, 'must be true or false')
}

function prefix(value: unknown): string {
  if (value === undefined || value === '') return ''
  if (typeof value !== 'string' || !/^[A-Za-z0-9._/-]+$/.test(value) || value.startsWith('/') || value.includes('..')) {
    throw new ConfigError('prefix', 'must be letters, digits, . _ - and /, not starting with / and without ..')
  }
  return value.endsWith('/') ? value : value + '/'
}

function whole(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw new ConfigError(field, `must be a whole number of at least ${min}`)
  return n
}
