// The owner lock of an embedded store: one process writes a store, any number read it beside
// that one. The store file itself stays in SQLite's normal WAL locking (readers in other
// processes need that), so ownership is a lock of its own: an exclusive SQLite lock on a
// companion file `<store>-owner`, which the kernel drops when the owning process dies.
import Database from 'better-sqlite3'
import { MetaError } from '../errors'

/** OwnerLock is held from take() until release() or the death of the process. */
export class OwnerLock {
  private constructor(private readonly db: Database.Database) {}

  /** take locks the store at path for this process, or throws ELOCKED when another holds it */
  static take(path: string): OwnerLock {
    const db = new Database(`${path}-owner`, { timeout: 0 })
    try {
      // In EXCLUSIVE locking mode the lock an exclusive transaction takes is kept until close.
      db.pragma('locking_mode = EXCLUSIVE')
      db.exec('BEGIN EXCLUSIVE; COMMIT')
    } catch (err) {
      db.close()
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new MetaError('ELOCKED', `embedded store ${path} is in use by another process`, { cause: err })
      }
      throw err
    }
    return new OwnerLock(db)
  }

  release(): void {
    if (this.db.open) this.db.close()
  }
}
