// What the data and metadata layers report, one call at each seam: bytes through files, cache
// lookups, transaction conflicts and store retries, replication passes.
import {
  bytesRead, bytesWritten, cacheLookups, replicationBacklogBlobs, replicationBacklogBytes, replicationCopiedBytes,
  child, replicationPasses, storeRetries, txConflicts, txIntents,
} from './registry'

export type CacheName = 'read' | 'name' | 'inode'

/** countRead counts n bytes read from a file */
export function countRead(n: number): void {
  bytesRead.inc(n)
}

/** countWritten counts n bytes written to a file */
export function countWritten(n: number): void {
  bytesWritten.inc(n)
}

const hits = child(cache => cacheLookups.labels({ cache, result: 'hit' }))
const misses = child(cache => cacheLookups.labels({ cache, result: 'miss' }))

/** lookedUp counts one lookup in cache and passes its result through: a hit unless undefined */
export function lookedUp<T>(cache: CacheName, found: T | undefined): T | undefined {
  ;(found === undefined ? misses : hits)(cache).inc()
  return found
}

/** countConflict counts a transaction run that conflicted (ran again) or met an intent (settled it first) */
export function countConflict(kind: 'conflict' | 'intent'): void {
  if (kind === 'conflict') txConflicts.inc()
  else txIntents.inc()
}

/** countRetry counts a metadata call tried again after a recoverable failure */
export function countRetry(): void {
  storeRetries.inc()
}

/** replicationPassed records a finished replication pass: its copies and the backlog left */
export function replicationPassed(r: { copiedBytes: number; backlog: { blobs: number; bytes: number } }): void {
  replicationPasses.inc()
  replicationCopiedBytes.inc(r.copiedBytes)
  replicationBacklogBlobs.set(r.backlog.blobs)
  replicationBacklogBytes.set(r.backlog.bytes)
}
