// What a name and a path may be: the limits Linux applies (NAME_MAX 255 bytes, PATH_MAX 4096).
import { EINVAL, ENAMETOOLONG } from '../errors'

export const NAME_MAX = 255
export const PATH_MAX = 4096

export function checkName(name: string): void {
  if (Buffer.byteLength(name) > NAME_MAX) throw ENAMETOOLONG(`${name.slice(0, 32)}...: over ${NAME_MAX} bytes`)
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw EINVAL(`${JSON.stringify(name)} is not a valid name`)
  }
}

/** components splits an absolute path into its names; '.' is dropped, '..' is kept for the walker. */
export function components(path: string): string[] {
  if (Buffer.byteLength(path) >= PATH_MAX) throw ENAMETOOLONG(`path of ${Buffer.byteLength(path)} bytes`)
  const parts = path.split('/').filter(p => p !== '' && p !== '.')
  for (const p of parts) {
    if (Buffer.byteLength(p) > NAME_MAX) throw ENAMETOOLONG(`${p.slice(0, 32)}...: over ${NAME_MAX} bytes`)
  }
  return parts
}
