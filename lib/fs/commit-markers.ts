// The marker keys of one mount's session in a group (tx.ts says what a marker is for). A slot
// is held by one commit at a time, so the marker it reads back can only be its own or one an
// earlier commit left; slots are reused, so a session holds as many keys as it ever had
// commits in flight at once, and they go with its lease.
import type { Keys } from './schema'
import type { Session } from './session'
import type { CommitMarkers, MarkerSlot } from './tx'

export class SessionMarkers implements CommitMarkers {
  private readonly free: number[] = []
  private next = 0

  constructor(private readonly session: Session, private readonly keys: Keys) {}

  take(): MarkerSlot {
    const slot = this.free.pop() ?? this.next++
    return {
      key: this.keys.commitMarker(this.session.sid, slot),
      lease: this.session.lease,
      release: () => { this.free.push(slot) },
    }
  }

  /** leaseLost renews the session now (keepAlive starts a new one when the lease is gone) */
  leaseLost(): Promise<void> {
    return this.session.keepAlive()
  }
}
