// Inode numbers come from a counter in the store (next/inode), taken a batch at a time, so
// that a create costs no extra round trip; numbers of a batch a mount never used are skipped.
import { ENOSPC } from '../errors'
import type { MetaStore } from '../meta/store'
import { ROOT_INO, type Keys } from './schema'
import { transact } from './tx'

const BATCH = 1000
/** the first number no inode may take (fuse-native narrows numbers for the kernel itself, in lib/fuse) */
export const MAX_INO = 2 ** 53

export class InodeAllocator {
  private next = 0
  private end = 0
  private refilling: Promise<void> | undefined

  constructor(private readonly store: MetaStore, private readonly keys: Keys) {}

  /** take hands out an unused inode number */
  async take(): Promise<number> {
    while (this.next >= this.end) {
      this.refilling ??= this.refill().finally(() => { this.refilling = undefined })
      await this.refilling
    }
    return this.next++
  }

  /** used reads how many numbers have been handed out in all (for statfs) */
  async used(): Promise<number> {
    const { kv } = await this.store.get(this.keys.nextInode())
    return Number(kv?.value.toString() ?? ROOT_INO + 1)
  }

  private async refill(): Promise<void> {
    const start = await transact(this.store, 'allocate inodes', async tx => {
      const [raw] = await tx.get(this.keys.nextInode())
      const next = Number(raw?.toString() ?? ROOT_INO + 1)
      if (next + BATCH > MAX_INO) throw ENOSPC('no inode numbers left')
      tx.put(this.keys.nextInode(), String(next + BATCH))
      return next
    })
    this.next = start
    this.end = start + BATCH
  }
}
