// Partitions: a subtree whose metadata lives in a group of its own. Its top directory is an
// inode of that group (marked with the group's name); its entry stays in the parent
// directory's group, so everything made below it lands in the group (a new inode lives in its
// parent's group). Adding one writes the top directory and its entry in one cross-group
// transaction, then the partition record in the root group, and bumps the epoch everywhere;
// removing one goes the other way. A crash before the record is written leaves a partition
// top that `partition ls` does not list: adding it again reports the path exists.
import { ConfigError } from '../errors'
import { check, W, X } from './access'
import { bumpEpoch, listGroups, listPartitions } from './config'
import type { FsContext, Records } from './context'
import { groupOf } from './ino'
import { S_IFDIR, S_IFMT, type Inode } from './inode'
import type { Namespace } from './namespace'
import { checkName, components } from './names'
import type { PathWalk } from './path-walk'
import { encodeRecord, type PartitionRecord } from './schema'
import { ROOT, type Attr, type Identity } from './types'

export class Partitions {
  constructor(
    private readonly ctx: FsContext,
    private readonly records: Records,
    private readonly walk: PathWalk,
    private readonly namespace: Namespace,
  ) {}

  /** add makes path the top of a partition in group; path must not exist, or be an empty directory */
  async add(path: string, group: string, who: Identity = ROOT): Promise<PartitionRecord> {
    const norm = '/' + components(path).join('/')
    if (norm === '/') throw new ConfigError('path', 'the root directory is the root group\'s')
    const root = this.ctx.groups.root.store
    const target = (await listGroups(root, this.ctx.keys)).find(g => g.name === group)
    if (!target) throw new ConfigError('group', `no group '${group}' (meridian group ls lists them)`)
    if ((await listPartitions(root, this.ctx.keys)).some(p => p.path === norm)) throw new ConfigError('path', `${norm} is a partition already`)
    const { parent, name } = await this.walk.resolveParent(norm, who)
    checkName(name)
    const old = await this.walk.findIno(parent, name, who)
    let like: Attr | undefined
    if (old) {
      const attr = await this.records.getattr(old)
      if ((attr.mode & S_IFMT) !== S_IFDIR) throw new ConfigError('path', `${norm} exists and is not a directory`)
      if (groupOf(old) !== groupOf(parent)) throw new ConfigError('path', `${norm} is the top of another partition`)
      like = attr
      await this.namespace.rmdir(parent, name, who).catch((err: { code?: string }) => {
        throw err.code === 'ENOTEMPTY' ? new ConfigError('path', `${norm} is not empty`) : err
      })
    }
    const g = await this.ctx.groups.byId(target.id)
    const ino = await g.inos.take()
    const now = Date.now()
    const top: Inode = {
      ino, mode: S_IFDIR | ((like?.mode ?? 0o755) & 0o7777), uid: like?.uid ?? who.uid, gid: like?.gid ?? who.gid,
      nlink: 2, size: 4096, rdev: 0, atimeMs: now, mtimeMs: now, ctimeMs: now, parent, entries: 0, xattrs: 0, partition: group,
    }
    // the top directory in its group and its entry in the parent's, atomically
    await this.ctx.groups.transact('partition add', async txFor => {
      const tp = await txFor(parent)
      const { dir, child } = await this.records.entry(tp, parent, name)
      check(dir, who, W | X, name)
      if (child) throw new ConfigError('path', `${norm} was made meanwhile`)
      this.records.put(await txFor(ino), top)
      this.records.putEntry(tp, parent, name, top)
      dir.entries = (dir.entries ?? 0) + 1
      dir.nlink++
      dir.mtimeMs = dir.ctimeMs = now
      this.records.put(tp, dir)
    })
    const record: PartitionRecord = { path: norm, group, ino }
    await root.txn([], [{ type: 'put', key: this.ctx.keys.partition(norm), value: encodeRecord(record) }])
    await this.bump()
    return record
  }

  /** remove ends the partition at path: its top directory must be empty, and goes */
  async remove(path: string, who: Identity = ROOT): Promise<void> {
    const norm = '/' + components(path).join('/')
    const root = this.ctx.groups.root.store
    const record = (await listPartitions(root, this.ctx.keys)).find(p => p.path === norm)
    if (!record) throw new ConfigError('path', `${norm} is not a partition (meridian partition ls lists them)`)
    const { parent, name } = await this.walk.resolveParent(norm, who)
    await this.ctx.groups.transact('partition rm', async txFor => {
      const top = await this.records.dir(await txFor(record.ino), record.ino)
      if ((top.entries ?? 0) > 0) throw new ConfigError('path', `${norm} is not empty`)
      const tp = await txFor(parent)
      const { dir, child } = await this.records.entry(tp, parent, name)
      if (child !== record.ino) throw new ConfigError('path', `${norm} names another directory than its partition's`)
      this.records.free(await txFor(record.ino), record.ino)
      tp.delete(this.ctx.keys.entry(parent, name))
      dir.entries = (dir.entries ?? 1) - 1
      dir.nlink--
      dir.mtimeMs = dir.ctimeMs = Date.now()
      this.records.put(tp, dir)
    })
    this.ctx.names.forget(parent, name)
    await root.txn([], [{ type: 'delete', key: this.ctx.keys.partition(norm) }])
    await this.bump()
  }

  /** bump moves the epoch on in every group of the filesystem */
  private async bump(): Promise<void> {
    const groups = await listGroups(this.ctx.groups.root.store, this.ctx.keys)
    const stores = [this.ctx.groups.root.store, ...(await Promise.all(groups.map(async g => (await this.ctx.groups.byId(g.id)).store)))]
    await bumpEpoch(stores, this.ctx.keys)
  }
}
