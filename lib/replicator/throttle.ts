// Bandwidth limit for the replicator: take(bytes) waits until copying them keeps the average
// since the start at or below bytesPerSecond. 0 means unlimited.
import { setTimeout as sleep } from 'node:timers/promises'

export class Throttle {
  private readonly start = Date.now()
  private sent = 0
  constructor(private readonly bytesPerSecond: number) {}

  async take(bytes: number): Promise<void> {
    this.sent += bytes
    if (this.bytesPerSecond <= 0) return
    const due = this.start + (this.sent / this.bytesPerSecond) * 1000
    const wait = due - Date.now()
    if (wait > 0) await sleep(wait)
  }
}
