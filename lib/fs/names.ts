// What a name may be: NAME_MAX 255 bytes, as Linux. There is no limit on a whole path here:
// the kernel refuses a path argument of PATH_MAX (4096) bytes or more before it reaches us,
// while the paths libfuse hands us are rebuilt from the mount's root and may be longer (a
// process deep in the tree uses relative paths).
import { EINVAL, ENAMETOOLONG } from '../errors'

export const NAME_MAX = 255
/** the longest path argument the kernel takes, with its NUL */
export const PATH_MAX = 4096

/** overLimits says how a path typed by a user (a CLI argument) passes NAME_MAX or PATH_MAX, if it does */
export function overLimits(path: string): string | undefined {
  const bytes = Buffer.byteLength(path)
  if (bytes >= PATH_MAX) return `is ${bytes} bytes, over the ${PATH_MAX - 1} a path may have`
  const long = path.split('/').find(p => Buffer.byteLength(p) > NAME_MAX)
  return long === undefined ? undefined : `'${long.slice(0, 32)}...' is a name over ${NAME_MAX} bytes`
}

export function checkName(name: string): void {
  if (Buffer.byteLength(name) > NAME_MAX) throw ENAMETOOLONG(`${name.slice(0, 32)}...: over ${NAME_MAX} bytes`)
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw EINVAL(`${JSON.stringify(name)} is not a valid name`)
  }
}

/** components splits an absolute path into its names; '.' is dropped, '..' is kept for the walker. */
export function components(path: string): string[] {
  const parts = path.split('/').filter(p => p !== '' && p !== '.')
  for (const p of parts) {
    if (Buffer.byteLength(p) > NAME_MAX) throw ENAMETOOLONG(`${p.slice(0, 32)}...: over ${NAME_MAX} bytes`)
  }
  return parts
}
