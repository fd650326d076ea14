// Every Prometheus metric Meridian exports, defined in one place on one registry (prom-client).
// The code that does the work never calls prom-client itself: the few seams (the FUSE edge,
// the metadata store wrapper, the transaction loop, the caches, the replicator's passes) call
// the small functions of this folder, which update these.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export const registry = new Registry()

/** seconds, from a fast cached stat to an operation that waited on a remote quorum or a lock */
const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const registers = [registry]

export const fuseOpSeconds = new Histogram({
  name: 'meridian_fuse_op_duration_seconds',
  help: 'FUSE operations answered, by kind (its _count is the number of operations), and how long each took',
  labelNames: ['op'] as const, buckets: LATENCY_BUCKETS, registers,
})
export const fuseErrors = new Counter({
  name: 'meridian_fuse_errors_total',
  help: 'FUSE operations answered with an error, by kind and errno',
  labelNames: ['op', 'errno'] as const, registers,
})
export const bytesRead = new Counter({ name: 'meridian_read_bytes_total', help: 'bytes read from files', registers })
export const bytesWritten = new Counter({ name: 'meridian_written_bytes_total', help: 'bytes written to files', registers })
export const cacheLookups = new Counter({
  name: 'meridian_cache_lookups_total',
  help: 'lookups in the mount\'s caches (read: blobs, name: directory entries, inode: inode records), by result (hit or miss)',
  labelNames: ['cache', 'result'] as const, registers,
})
export const storeSeconds = new Histogram({
  name: 'meridian_store_request_duration_seconds',
  help: 'metadata store round trips, by call (get, getMany, range, txn) and group, and how long each took',
  labelNames: ['call', 'group'] as const, buckets: LATENCY_BUCKETS, registers,
})
export const storeRetries = new Counter({
  name: 'meridian_store_retries_total',
  help: 'metadata calls tried again after a recoverable failure (leader change, unavailable member)',
  registers,
})
export const txConflicts = new Counter({
  name: 'meridian_tx_conflicts_total',
  help: 'optimistic transactions that found what they read changed and ran again',
  registers,
})
export const txIntents = new Counter({
  name: 'meridian_tx_intents_met_total',
  help: 'transactions that met the intent of a cross-group transaction in flight and settled it before running again',
  registers,
})
/**
 * child caches the labelled child of a metric per label value: prom-client hashes the labels
 * on every call otherwise, which costs microseconds on the path of every FUSE operation
 */
export function child<T>(make: (label: string) => T): (label: string) => T {
  const made = new Map<string, T>()
  return label => {
    let c = made.get(label)
    if (c === undefined) made.set(label, (c = make(label)))
    return c
  }
}

export const replicationBacklogBlobs = new Gauge({
  name: 'meridian_replication_backlog_blobs',
  help: 'blobs whose copies do not yet match their placement policy, after the last replication pass',
  registers,
})
export const replicationBacklogBytes = new Gauge({
  name: 'meridian_replication_backlog_bytes',
  help: 'bytes of the blobs in the replication backlog, after the last replication pass',
  registers,
})
export const replicationPasses = new Counter({ name: 'meridian_replication_passes_total', help: 'replication passes finished', registers })
export const replicationCopiedBytes = new Counter({ name: 'meridian_replication_copied_bytes_total', help: 'bytes copied between pools by the replicator', registers })
