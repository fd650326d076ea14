// A mount's session: a record under session/<sid>, bound to a lease that the session keeps
// alive. Open marks and locks name the session, so they vanish with it when the mount dies.
// A lease can still expire under a live mount (the store unreachable for longer than the TTL,
// a paused process): that is never swallowed. The loss is logged, what was bound to the old
// lease is gone (writes still bound to it fail with ELEASE, which the edge reports as EIO),
// and a new session with a new sid and lease takes over; its listeners (the open marks) put
// back what the mount still needs.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { MetaError } from '../errors'
import { log } from '../log'
import type { MetaStore } from '../meta/store'
import { SessionMarkers } from './commit-markers'
import type { Keys } from './schema'
import { DEFAULTS } from '../config/tunables'

/** seconds a session outlives its last keep-alive */
export const SESSION_TTL = DEFAULTS['session-ttl']

export type RenewListener = () => Promise<void>

export class Session {
  private current: { sid: string; lease: number }
  private readonly timer: NodeJS.Timeout
  private readonly listeners: RenewListener[] = []
  private renewing: Promise<void> | undefined
  private closed = false
  /** the marker keys that make this session's commits safe to retry (tx.ts), bound to its lease */
  readonly markers: SessionMarkers

  private constructor(
    private readonly store: MetaStore, private readonly keys: Keys, private readonly ttl: number,
    private readonly mountpoint: string | undefined, first: { sid: string; lease: number },
  ) {
    this.current = first
    this.markers = new SessionMarkers(this, keys)
    this.timer = setInterval(() => this.keepAlive(), (ttl * 1000) / 4)
    this.timer.unref()
  }

  /** start grants a lease and writes the session record (with the host, the pid and the mountpoint, for `meridian status`) */
  static async start(store: MetaStore, keys: Keys, ttlSeconds = SESSION_TTL, mountpoint?: string): Promise<Session> {
    return new Session(store, keys, ttlSeconds, mountpoint, await begin(store, keys, ttlSeconds, mountpoint))
  }

  get sid(): string { return this.current.sid }
  get lease(): number { return this.current.lease }

  /** onRenew registers what must run after a lost lease was replaced by a new session */
  onRenew(listener: RenewListener): void {
    this.listeners.push(listener)
  }

  /** keepAlive renews the lease now; an expired lease starts a new session (and resolves once it has) */
  async keepAlive(): Promise<void> {
    if (this.closed) return
    try {
      await this.store.keepAlive(this.current.lease)
    } catch (err) {
      if (err instanceof MetaError && err.code === 'ELEASE') return this.renew()
      // unreachable for now: the next keep-alive tries again, well inside the TTL
      log.warn({ err, sid: this.sid }, 'session: keep-alive failed; trying again')
    }
  }

  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      const lost = this.current.sid
      log.error({ sid: lost }, 'session: the lease expired; this mount lost its open marks and locks, starting a new session')
      try {
        this.current = await begin(this.store, this.keys, this.ttl, this.mountpoint)
        for (const listener of this.listeners) await listener()
        log.warn({ lost, sid: this.sid }, 'session: a new session took over')
      } catch (err) {
        log.error({ err, lost }, 'session: starting a new session failed; trying again at the next keep-alive')
      } finally {
        this.renewing = undefined
      }
    })()
    return this.renewing
  }

  /** close ends the session: its lease goes, and with it its record, open marks and locks; idempotent */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    await this.renewing
    await this.store.revoke(this.current.lease).catch(() => undefined)
  }
}

async function begin(store: MetaStore, keys: Keys, ttl: number, mountpoint: string | undefined): Promise<{ sid: string; lease: number }> {
  const sid = randomUUID()
  const lease = await store.grant(ttl)
  await store.txn([], [{ type: 'put', key: keys.session(sid), value: JSON.stringify({ pid: process.pid, host: hostname(), mountpoint, startedMs: Date.now() }), lease }])
  return { sid, lease }
}
