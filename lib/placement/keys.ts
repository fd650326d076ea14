// The placement keys of one filesystem, beside lib/fs's (lib/fs/schema.ts) under `fs/<name>/`:
//
//   fs/<name>/placement/epoch            decimal configuration epoch; every change of pools or
//                                        policies bumps it in the same transaction
//   fs/<name>/placement/pool/<pool>      JSON PoolSpec: site, weight, state, driver config
//   fs/<name>/placement/policy/<path>    JSON Policy for a path prefix ('/' for the root)
//   fs/<name>/placement/queue/<blob id>  JSON QueueEntry: a blob whose copies may differ from
//                                        its targets, for the replicator (lib/replicator)
//   fs/<name>/placement/bloom/<pool>     JSON FilterRef: the version of the pool's bloom filter
//                                        and the id of the blob in that pool that holds it
//   fs/<name>/placement/gc/<blob id>     decimal ms when gc first found the blob unreferenced
//   fs/<name>/placement/lease/<digit>    the replicator holding a work range (blob ids whose hash
//                                        starts with that hex digit), bound to its store lease
//
// Before the first change the epoch key is absent: the pool map is then format's pools from
// the Settings, and the root policy the copies format asked for (epoch 0).

export class PlacementKeys {
  readonly prefix: string
  constructor(readonly fsName: string) {
    this.prefix = `fs/${fsName}/placement/`
  }
  epoch(): string { return this.prefix + 'epoch' }
  pools(): string { return this.prefix + 'pool/' }
  pool(name: string): string { return this.pools() + name }
  policies(): string { return this.prefix + 'policy/' }
  policy(path: string): string { return this.policies() + path }
  queue(): string { return this.prefix + 'queue/' }
  queued(id: string): string { return this.queue() + id }
  bloom(pool: string): string { return this.prefix + 'bloom/' + pool }
  gcSeen(): string { return this.prefix + 'gc/' }
  gcSeenAt(id: string): string { return this.gcSeen() + id }
  lease(range: string): string { return this.prefix + 'lease/' + range }
}
