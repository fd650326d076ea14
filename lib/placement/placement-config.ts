// PlacementConfig: a filesystem's pool map and policies at one configuration epoch, kept in
// the metadata (keys.ts) and changed only as a whole: a change reads the config, checks that
// every policy can still be satisfied by the pools, and commits the keys it changes with the
// epoch bumped, guarded by the epoch it read. A writer that planned with an older epoch
// therefore fails its commit and reruns on the new config (DESIGN §3, Corfu's epochs).
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError, EAGAIN } from '../errors'
import { Keys, type Settings } from '../fs/schema'
import type { MetaStore, Op } from '../meta/store'
import { PlacementKeys } from './keys'
import { unsatisfiable } from './placement'
import { defaultPolicy, type Policy, type PolicyRule } from './policy'
import { poolsFromSettings, type PoolSpec } from './pool-map'

const MAX_ATTEMPTS = 20

export interface PlacementConfig {
  epoch: number
  pools: PoolSpec[]
  /** one rule per path prefix; always one for '/' */
  rules: PolicyRule[]
}

export class PlacementStore {
  readonly keys: PlacementKeys
  constructor(readonly store: MetaStore, readonly fsName: string) {
    this.keys = new PlacementKeys(fsName)
  }

  /** load reads the config in force (format's pools and copies at epoch 0 before any change) */
  async load(): Promise<PlacementConfig> {
    return (await this.read()).config
  }

  /**
   * update applies change to the config in force and commits it as the next epoch, after
   * checking it (a ConfigError naming the policy or pool that cannot be satisfied, and
   * nothing changes). change may run several times (on conflicts) and must only compute.
   */
  async update(change: (config: PlacementConfig) => PlacementConfig): Promise<PlacementConfig> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { config, epochRevision } = await this.read()
      const next = change(structuredClone(config))
      check(next)
      const res = await this.store.txn(
        [{ key: this.keys.epoch(), target: 'mod', op: '=', value: epochRevision }],
        [...this.diff(config, next), { type: 'put', key: this.keys.epoch(), value: String(config.epoch + 1) }],
      )
      if (res.succeeded) return { ...next, epoch: config.epoch + 1 }
      await sleep(10 * Math.random())
    }
    throw EAGAIN(`placement config of '${this.fsName}': still conflicting after ${MAX_ATTEMPTS} attempts`)
  }

  private async read(): Promise<{ config: PlacementConfig; epochRevision: number }> {
    const [epoch, pools, policies] = await Promise.all([
      this.store.get(this.keys.epoch()),
      this.store.range(this.keys.pools()),
      this.store.range(this.keys.policies()),
    ])
    if (!epoch.kv) return { config: await this.initial(), epochRevision: 0 }
    return {
      epochRevision: epoch.kv.modRevision,
      config: {
        epoch: Number(epoch.kv.value.toString()),
        pools: pools.kvs.map(kv => JSON.parse(kv.value.toString()) as PoolSpec),
        rules: policies.kvs.map(kv => ({
          path: kv.key.toString().slice(this.keys.policies().length),
          policy: JSON.parse(kv.value.toString()) as Policy,
        })),
      },
    }
  }

  /** initial is the config before any change: format's pools and the copies it asked for */
  private async initial(): Promise<PlacementConfig> {
    const { kv } = await this.store.get(new Keys(this.fsName).setting())
    if (!kv) throw new ConfigError('name', `no filesystem '${this.fsName}' in this metadata store: run meridian format first`)
    const settings = JSON.parse(kv.value.toString()) as Settings
    return { epoch: 0, pools: poolsFromSettings(settings.pools), rules: [{ path: '/', policy: defaultPolicy(settings.copies) }] }
  }

  /** diff is the ops that turn the stored keys of before into those of after */
  private diff(before: PlacementConfig, after: PlacementConfig): Op[] {
    const entries = (c: PlacementConfig) => new Map<string, string>([
      ...c.pools.map(p => [this.keys.pool(p.name), JSON.stringify(p)] as const),
      ...c.rules.map(r => [this.keys.policy(r.path), JSON.stringify(r.policy)] as const),
    ])
    // at epoch 0 nothing is stored yet: everything is written
    const old = before.epoch === 0 ? new Map<string, string>() : entries(before)
    const now = entries(after)
    const ops: Op[] = []
    for (const key of old.keys()) if (!now.has(key)) ops.push({ type: 'delete', key })
    for (const [key, value] of now) if (old.get(key) !== value) ops.push({ type: 'put', key, value })
    return ops
  }
}

/** check refuses a config in which some policy cannot be satisfied, naming it and why */
export function check(config: PlacementConfig): void {
  if (!config.rules.some(r => r.path === '/')) throw new ConfigError('path', "the root '/' must keep a policy")
  for (const rule of config.rules) {
    const why = unsatisfiable(rule.policy, config.pools)
    if (why) throw new ConfigError(`policy ${rule.path}`, why)
  }
}
