// Names to inodes: one lookup (parent inode + name), and the walk of a whole path for bindings
// that hand us paths (fuse-native). Lookups go through the name cache; another mount may
// remove or replace what a cached name led to, and the walk recovers from that.
import { EINVAL, ENOENT } from '../errors'
import { check, X } from './access'
import type { FsContext, Records } from './context'
import { components } from './names'
import { ROOT_INO } from './schema'
import type { Attr, Identity } from './types'

/** how often a path walk starts again when what a name led to vanished under it */
export const LOCATE_ATTEMPTS = 4

export class PathWalk {
  constructor(private readonly ctx: FsContext, private readonly records: Records) {}

  /** lookupIno is the inode name names in parent; ENOENT when there is none */
  async lookupIno(parent: number, name: string, who: Identity): Promise<number> {
    const ino = await this.findIno(parent, name, who)
    if (!ino) throw ENOENT(name)
    return ino
  }

  /**
   * findIno is lookupIno, but answers 0 for a name missing from a directory the store still
   * has (ENOENT means the directory itself is gone)
   */
  async findIno(parent: number, name: string, who: Identity): Promise<number> {
    if (Buffer.byteLength(name) > 255) return 0
    const cached = this.ctx.names.get(parent, name)
    if (cached !== undefined) return cached.ino
    return (await this.ctx.groups.of(parent)).transact('lookup', async tx => {
      const { dir, child } = await this.records.entry(tx, parent, name)
      check(dir, who, X, name)
      const key = this.ctx.keys.entry(parent, name)
      const [value] = await tx.get(key) // read already: no round trip
      if (child && value) this.ctx.names.set(parent, name, { ino: child, entry: { value, rev: tx.revisionOf(key) ?? 0 } })
      return child
    })
  }

  /** resolve walks an absolute path (no final symlink followed). */
  async resolve(path: string, who: Identity): Promise<Attr> {
    return this.locate(components(path), who)
  }

  /** resolveParent walks to the directory that holds the last component of path. */
  async resolveParent(path: string, who: Identity): Promise<{ parent: number; name: string }> {
    const names = components(path)
    const name = names.pop()
    if (name === undefined || name === '..') throw EINVAL(`${path} has no last component`)
    return { parent: (await this.locate(names, who)).ino, name }
  }

  /**
   * locate walks names and reads the inode they lead to. Another mount may remove or replace
   * what a name led to while we walk (or while a name sits in our cache): an ENOENT for an
   * inode that a name led to, rather than for a missing name, forgets the names used and walks
   * again through the store, a few times at most. A name missing from a directory the store
   * still has is believed at once: the lookup that missed it read that directory afresh.
   */
  private async locate(names: string[], who: Identity): Promise<Attr> {
    for (let attempt = 1; ; attempt++) {
      const cached: Array<[number, string]> = []
      // vanished: the inode the names led to is gone (a rename over it, say): always walk again
      const retry = (err: unknown, vanished: boolean): void => {
        if (attempt >= LOCATE_ATTEMPTS || (err as { code?: string }).code !== 'ENOENT') throw err
        if (!vanished && cached.length === 0) throw err
        for (const [parent, name] of cached) this.ctx.names.forget(parent, name)
      }
      let ino: number
      try {
        ino = await this.walk(names, who, cached)
      } catch (err) {
        retry(err, false)
        continue
      }
      if (!ino) throw ENOENT(names.join('/'))
      try {
        const attr = await this.records.getattr(ino)
        // a cached name may lead to an inode that lost its names but is still open somewhere
        if (attr.nlink > 0 || cached.length === 0) return attr
        throw ENOENT(`inode ${ino} has no names left`)
      } catch (err) {
        retry(err, true)
      }
    }
  }

  /** walk follows names from the root, the cached names it used pushed onto cached; 0 when a name is missing from its (live) directory */
  private async walk(names: string[], who: Identity, cached: Array<[number, string]>): Promise<number> {
    let ino = ROOT_INO
    for (const name of names) {
      if (name === '..') {
        ino = await this.parentOf(ino)
        continue
      }
      if (this.ctx.names.has(ino, name)) cached.push([ino, name])
      ino = await this.findIno(ino, name, who)
      if (!ino) return 0
    }
    return ino
  }

  /** parentOf is the directory that holds directory ino ('..'; the root is its own parent) */
  async parentOf(ino: number): Promise<number> {
    return (await this.ctx.groups.of(ino)).transact('lookup ..', async tx => (await this.records.dir(tx, ino)).parent ?? ROOT_INO)
  }
}
