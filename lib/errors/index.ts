// The one module for failures. Two families:
//  - FsError carries a POSIX errno code; the FUSE edge turns it into -errno.
//  - MetaError carries a store failure; `recoverable` marks the ones a retry may cure
//    (leader change, unavailable member), never a conflict or a permanent error.
// toErrno() is the single conversion from any thrown value to an errno code.
import { constants } from 'node:os'

export type ErrnoCode = keyof typeof constants.errno

export class FsError extends Error {
  readonly code: ErrnoCode
  constructor(code: ErrnoCode, message: string) {
    super(`${code}: ${message}`)
    this.name = 'FsError'
    this.code = code
  }
  get errno(): number {
    return constants.errno[this.code]
  }
}

const fsError = (code: ErrnoCode) => (what: string) => new FsError(code, what)

// Factories named by code, so call sites read as sentences: throw ENOENT(path)
export const EPERM = fsError('EPERM')
export const ENOENT = fsError('ENOENT')
export const EIO = fsError('EIO')
export const EBADF = fsError('EBADF')
export const EAGAIN = fsError('EAGAIN')
export const EACCES = fsError('EACCES')
export const EEXIST = fsError('EEXIST')
export const EXDEV = fsError('EXDEV')
export const ENOTDIR = fsError('ENOTDIR')
export const EISDIR = fsError('EISDIR')
export const EINVAL = fsError('EINVAL')
export const EFBIG = fsError('EFBIG')
export const ENOSPC = fsError('ENOSPC')
export const EROFS = fsError('EROFS')
export const EMLINK = fsError('EMLINK')
export const ERANGE = fsError('ERANGE')
export const E2BIG = fsError('E2BIG')
export const ENAMETOOLONG = fsError('ENAMETOOLONG')
export const ENOTEMPTY = fsError('ENOTEMPTY')
export const ELOOP = fsError('ELOOP')
export const ENODATA = fsError('ENODATA')
export const ENOTSUP = fsError('ENOTSUP')
export const ENOSYS = fsError('ENOSYS')
export const ETIMEDOUT = fsError('ETIMEDOUT')
export const EINTR = fsError('EINTR')
export const EDEADLK = fsError('EDEADLK')
export const EBUSY = fsError('EBUSY')

export type MetaErrorCode =
  /** the requested revision was compacted away */
  | 'ECOMPACTED'
  /** a request over limits.requestBytes */
  | 'ETOOLARGE'
  /** a transaction over limits.txnOps operations */
  | 'ETOOMANYOPS'
  /** a lease that does not exist or expired */
  | 'ELEASE'
  /** the store did not answer in time (no quorum, all members down) */
  | 'ETIMEDOUT'
  /** a transient failure: leader change, member unavailable */
  | 'EUNAVAILABLE'
  /** the store is held by another process */
  | 'ELOCKED'
  /** the store was closed */
  | 'ECLOSED'
  /** a write to a store opened only to read */
  | 'EREADONLY'
  /** bad configuration or arguments */
  | 'EINVAL'

export class MetaError extends Error {
  readonly code: MetaErrorCode
  readonly recoverable: boolean
  constructor(code: MetaErrorCode, message: string, opts: { recoverable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    this.name = 'MetaError'
    this.code = code
    this.recoverable = opts.recoverable ?? false
  }
}

export function isRecoverable(err: unknown): boolean {
  return err instanceof MetaError && err.recoverable
}

/** ConfigError is bad input from a user: one line, naming the field. */
export class ConfigError extends Error {
  readonly field: string
  constructor(field: string, message: string) {
    super(`${field}: ${message}`)
    this.name = 'ConfigError'
    this.field = field
  }
}

const metaErrno: Record<MetaErrorCode, ErrnoCode> = {
  ECOMPACTED: 'EIO',
  ETOOLARGE: 'EFBIG',
  ETOOMANYOPS: 'E2BIG',
  ELEASE: 'EIO',
  ETIMEDOUT: 'ETIMEDOUT',
  EUNAVAILABLE: 'EAGAIN',
  ELOCKED: 'EAGAIN',
  ECLOSED: 'EIO',
  EREADONLY: 'EROFS',
  EINVAL: 'EINVAL',
}

/**
 * toErrno converts any failure into the errno the kernel should see. Returns 'EIO' for
 * anything it does not recognise; the caller logs those with context.
 */
export function toErrno(err: unknown): ErrnoCode {
  if (err instanceof FsError) return err.code
  if (err instanceof MetaError) return metaErrno[err.code]
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code in constants.errno) return code as ErrnoCode
  return 'EIO'
}

/** isKnown tells whether toErrno understood err (anything else deserves a log line). */
export function isKnown(err: unknown): boolean {
  if (err instanceof FsError || err instanceof MetaError) return true
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code in constants.errno
}
