// Inode numbers come from a counter in each group's store (next/inode), taken a batch at a
// time, so that a create costs no extra round trip; numbers of a batch a mount never used are
// skipped. Each group hands out only its own range (ino.ts).
import { ENOSPC } from '../errors'
import type { MetaStore } from '../meta/store'
import { endIno, firstIno } from './ino'
import type { Keys } from './schema'
import { transact, type CommitMarkers } from './tx'

const BATCH = 1000

export class InodeAllocator {
  private next = 0
  private end = 0
  private refilling: Promise<void> | undefined

  constructor(private readonly store: MetaStore, private readonly keys: Keys, private readonly group: number, private readonly markers?: CommitMarkers) {}

  /** take hands out an unused inode number */
  async take(): Promise<number> {
    while (this.next >= this.end) {
      this.refilling ??= this.refill().finally(() => { this.refilling = undefined })
      await this.refilling
    }
    return this.next++
  }

  /** used reads how many of the group's numbers have been handed out (for statfs) */
  async used(): Promise<number> {
    const { kv } = await this.store.get(this.keys.nextInode())
    return Number(kv?.value.toString() ?? firstIno(this.group)) - firstIno(this.group)
  }

  private async refill(): Promise<void> {
    const start = await transact(this.store, 'allocate inodes', async tx => {
      const [raw] = await tx.get(this.keys.nextInode())
      const next = Number(raw?.toString() ?? firstIno(this.group))
      if (next + BATCH > endIno(this.group)) throw ENOSPC(`group ${this.group} has no inode numbers left`)
      tx.put(this.keys.nextInode(), String(next + BATCH))
      return next
    }, undefined, this.markers)
    this.next = start
    this.end = start + BATCH
  }
}
