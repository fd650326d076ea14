// flock and POSIX locks of one session, kept in the metadata store so that they exclude each
// other across mounts. One key per inode holds its locks (lock-table.ts does the arithmetic);
// a lock whose session key is gone (lease expired, mount closed) no longer counts.
import { setTimeout as sleep } from 'node:timers/promises'
import { EAGAIN } from '../errors'
import type { Group } from './group'
import type { Groups } from './groups'
import { apply, conflict, TO_EOF, type Lock, type LockType } from './lock-table'
import type { Keys } from './schema'
import type { Tx } from './tx'

/** A POSIX lock request: owner is the lock owner (a process), [start, end) the range. */
export interface LockRequest {
  owner: number
  pid: number
  start: number
  end: number
}

export class Locks {
  constructor(private readonly groups: Groups, private readonly keys: Keys) {}

  /** getlk returns a lock that would block `want` (F_GETLK), or undefined */
  async getlk(ino: number, want: LockRequest): Promise<Lock | undefined> {
    const g = await this.groups.of(ino)
    return g.transact('getlk', async tx => conflict(await this.live(tx, ino), this.lock(want, 'posix', g.session.sid)))
  }

  /** setlk takes, changes or (type undefined) releases a POSIX lock (F_SETLK, or F_SETLKW with wait) */
  async setlk(ino: number, want: LockRequest & { type?: LockType }, wait: boolean): Promise<void> {
    const g = await this.groups.of(ino)
    await this.change(g, ino, this.lock(want, 'posix', g.session.sid), wait)
  }

  /** flock takes or (type undefined) drops a whole-file lock held by the open file fh */
  async flock(ino: number, fh: number, type: LockType | undefined, wait: boolean): Promise<void> {
    const g = await this.groups.of(ino)
    await this.change(g, ino, this.lock({ owner: fh, pid: process.pid, start: 0, end: TO_EOF, type }, 'flock', g.session.sid), wait)
  }

  /** lock is a request as held by the session sid (this mount's session in the inode's group) */
  private lock(req: LockRequest & { type?: LockType }, kind: Lock['kind'], sid: string): Lock & { release: boolean } {
    const { owner, pid, start, end } = req
    return { kind, sid, owner, pid, start, end, type: req.type ?? 'read', release: req.type === undefined }
  }

  private async change(g: Group, ino: number, { release, ...lock }: Lock & { release: boolean }, wait: boolean): Promise<void> {
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      const blocked = await g.transact('lock', async tx => {
        const held = await this.live(tx, ino)
        if (!release && conflict(held, lock)) return true
        const next = apply(held, release ? { ...lock, type: undefined } : lock)
        if (next.length === 0) tx.delete(this.keys.locks(ino))
        else tx.put(this.keys.locks(ino), JSON.stringify(next))
        return false
      })
      if (!blocked) return
      if (!wait) throw EAGAIN(`inode ${ino} is locked`)
      await sleep(delay)
    }
  }

  /** the locks on an inode whose sessions are still alive */
  private async live(tx: Tx, ino: number): Promise<Lock[]> {
    const [raw] = await tx.get(this.keys.locks(ino))
    const held = raw ? (JSON.parse(raw.toString()) as Lock[]) : []
    const sids = [...new Set(held.map(l => l.sid))]
    const alive = await tx.get(...sids.map(sid => this.keys.session(sid)))
    return held.filter(l => alive[sids.indexOf(l.sid)] !== null)
  }
}
