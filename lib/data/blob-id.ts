// Blob ids name their content: 'sha256-' and the lowercase hex SHA-256 of the bytes, the form
// isBlobId (drivers/driver.ts) accepts. Equal bytes get equal ids, which is what dedups them.
import { createHash } from 'node:crypto'

/** blobId is the id of the blob holding data. */
export function blobId(data: Buffer): string {
  return 'sha256-' + createHash('sha256').update(data).digest('hex')
}

/** matches tells whether data is the content id names. */
export function matches(id: string, data: Buffer): boolean {
  return blobId(data) === id
}
