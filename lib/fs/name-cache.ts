// The names this mount looked up or made lately: parent/name -> the inode it names, with the
// entry record as a lookup read it (so that unlink and rename can assume it, guarded by its
// revision). Trusted for the kernel's entry timeout; a wrong name only costs a retry. It also
// remembers, per inode, the last name it was seen under, so that an open file's path can be
// told (for the placement policy its blocks are written under: pathOf).
import { LRUCache } from 'lru-cache'
import { ROOT_INO } from './schema'
import { lookedUp } from '../metrics/counters'

export interface Dentry {
  ino: number
  entry?: { value: Buffer; rev: number }
}

export class NameCache {
  private readonly names: LRUCache<string, Dentry>
  private readonly seenAs: LRUCache<number, { parent: number; name: string }>

  constructor(ttlMs: number) {
    this.names = new LRUCache({ max: 100_000, ttl: ttlMs })
    this.seenAs = new LRUCache({ max: 100_000 })
  }

  get(parent: number, name: string): Dentry | undefined {
    return lookedUp('name', this.names.get(key(parent, name)))
  }

  has(parent: number, name: string): boolean {
    return this.names.has(key(parent, name))
  }

  set(parent: number, name: string, d: Dentry): void {
    this.names.set(key(parent, name), d)
    this.seenAs.set(d.ino, { parent, name })
  }

  forget(parent: number, name: string): void {
    const d = this.names.get(key(parent, name))
    const seen = d && this.seenAs.get(d.ino)
    if (seen && seen.parent === parent && seen.name === name) this.seenAs.delete(d.ino)
    this.names.delete(key(parent, name))
  }

  /**
   * pathOf is the path ino was last reached by in this mount (lookups and creates from the
   * root: the kernel looks every component up before it opens), or undefined when some
   * component was not seen or has been forgotten. A hint, not the truth: another mount may
   * have renamed it since.
   */
  pathOf(ino: number): string | undefined {
    const parts: string[] = []
    for (let at = ino; at !== ROOT_INO; ) {
      const seen = this.seenAs.get(at)
      if (!seen || parts.length > 4096) return undefined
      parts.push(seen.name)
      at = seen.parent
    }
    return '/' + parts.reverse().join('/')
  }
}

const key = (parent: number, name: string) => `${parent}/${name}`
