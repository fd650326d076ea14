// The one conversion of S3 SDK failures into errnos. Messages name the pool's bucket, the
// operation and the blob, and the server's error code and HTTP status: never the request,
// its headers or the client's configuration, where credentials live.
import { EACCES, EIO, ENOENT, ETIMEDOUT, type FsError } from '../../lib/errors'

interface SdkError {
  name?: string
  code?: string
  $metadata?: { httpStatusCode?: number }
}

/** statusOf is the HTTP status of an SDK error, undefined for a failure before any answer */
export function statusOf(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode
}

export function isNotFound(err: unknown): boolean {
  const e = err as SdkError | null
  return statusOf(err) === 404 || e?.name === 'NoSuchKey' || e?.name === 'NotFound'
}

/** toFsError describes err as an errno; where says what was being done ('bucket b: get sha256-...') */
export function toFsError(err: unknown, where: string): FsError {
  const e = (err ?? {}) as SdkError
  const status = statusOf(err)
  const name = e.name ?? 'Error'
  if (isNotFound(err)) return ENOENT(`${where}: not found`)
  if (name === 'CredentialsProviderError') return EACCES(`${where}: no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the pool's profile in ~/.aws/credentials`)
  if (status === 403) return EACCES(`${where}: access denied (${name}, HTTP 403): check the credentials and the bucket policy`)
  if (status !== undefined) return EIO(`${where}: ${name} (HTTP ${status})`)
  // no answer: a network failure (its code, e.g. ECONNREFUSED) or a timeout
  if (name === 'TimeoutError' || e.code === 'ETIMEDOUT') return ETIMEDOUT(`${where}: no answer in time`)
  return EIO(`${where}: unreachable (${e.code ?? name})`)
}
