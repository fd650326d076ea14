// Blob ids name their content: 'sha256-' and the lowercase hex SHA-256 of the bytes, the form
// isBlobId (drivers/driver.ts) accepts. Equal bytes get equal ids, which is what dedups them.
import { createHash, webcrypto } from 'node:crypto'

/**
 * from this size on a hash is computed off the event loop (WebCrypto digests in libuv's thread
 * pool): hashing a 4 MiB block inline takes 2.4 ms in which no FUSE request is served; below
 * it the hand-over to the pool costs more than the hash
 */
const OFF_LOOP_BYTES = 256 * 1024

/** blobId is the id of the blob holding data. */
export function blobId(data: Buffer): string {
  return 'sha256-' + createHash('sha256').update(data).digest('hex')
}

/** idOf is blobId, computed off the event loop for large data */
export async function idOf(data: Buffer): Promise<string> {
  if (data.length < OFF_LOOP_BYTES) return blobId(data)
  return 'sha256-' + Buffer.from(await webcrypto.subtle.digest('SHA-256', data)).toString('hex')
}

/** holds tells whether data is the content id names (computed off the event loop for large data) */
export async function holds(id: string, data: Buffer): Promise<boolean> {
  return (await idOf(data)) === id
}
