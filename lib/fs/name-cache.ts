// The names this mount looked up or made lately: parent/name -> the inode it names, with the
// entry record as a lookup read it (so that unlink and rename can assume it, guarded by its
// revision). Trusted for the kernel's entry timeout; a wrong name only costs a retry.
import { LRUCache } from 'lru-cache'
import { lookedUp } from '../metrics/counters'

export interface Dentry {
  ino: number
  entry?: { value: Buffer; rev: number }
}

export class NameCache {
  private readonly names: LRUCache<string, Dentry>

  constructor(ttlMs: number) {
    this.names = new LRUCache({ max: 100_000, ttl: ttlMs })
  }

  get(parent: number, name: string): Dentry | undefined {
    return lookedUp('name', this.names.get(key(parent, name)))
  }

  has(parent: number, name: string): boolean {
    return this.names.has(key(parent, name))
  }

  set(parent: number, name: string, d: Dentry): void {
    this.names.set(key(parent, name), d)
  }

  forget(parent: number, name: string): void {
    this.names.delete(key(parent, name))
  }
}

const key = (parent: number, name: string) => `${parent}/${name}`
