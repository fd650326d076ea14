// The metadata workload as raw etcd transactions of the shapes lib/fs runs for each operation
// (its Tx, its key layout and its inode records), with no FUSE and no path walk: paths are
// resolved from this worker's own map of what it made, as a mount's name cache would. So a
// mkdir or create is one read of parent inode + entry and one commit guarded by compares on
// both, putting the inode, the entry and the parent; a conflict runs it again, as in lib/fs.
// What this leaves out (the kernel's lookups, the open mark and release of a create) is
// exactly what the Meridian figure pays on top.
import { decodeInode, encodeInode, isDir, S_IFDIR, S_IFMT, S_IFREG, type Inode } from '../fs/inode'
import { Keys, ROOT_INO } from '../fs/schema'
import { transact, type Tx } from '../fs/tx'
import type { MetaStore } from '../meta/store'
import type { NameOps } from './meta-ops'

/** inode numbers of worker k start here, so that workers never collide */
const INO_SPAN = 2 ** 24

function inode(ino: number, mode: number, now: number): Inode {
  const i: Inode = { ino, mode, uid: 0, gid: 0, nlink: 1, size: 0, rdev: 0, atimeMs: now, mtimeMs: now, ctimeMs: now }
  return isDir(i) ? { ...i, nlink: 2, size: 4096, parent: ROOT_INO, entries: 0 } : i
}

/** etcdNames runs the operations as raw transactions on store, under filesystem name fsName */
export function etcdNames(store: MetaStore, fsName: string, k: number): NameOps {
  const keys = new Keys(fsName)
  const inos = new Map<string, number>([['', ROOT_INO]])
  let next = (k + 1) * INO_SPAN

  const split = (path: string): [number, string] => {
    const at = path.lastIndexOf('/')
    const parent = inos.get(at < 0 ? '' : path.slice(0, at))
    if (parent === undefined) throw new Error(`unknown directory of ${path}`)
    return [parent, path.slice(at + 1)]
  }
  /** entry reads parent inode and entry in one round trip, as lib/fs does */
  const entry = async (tx: Tx, parent: number, name: string): Promise<{ dir: Inode; child: number }> => {
    const [rawDir, rawEntry] = await tx.get(keys.inode(parent), keys.entry(parent, name))
    if (!rawDir) throw new Error(`no directory ${parent}`)
    return { dir: decodeInode(rawDir), child: rawEntry ? (JSON.parse(rawEntry.toString()) as number[])[0] : 0 }
  }
  const read = async (tx: Tx, ino: number): Promise<Inode> => {
    const [raw] = await tx.get(keys.inode(ino))
    if (!raw) throw new Error(`no inode ${ino}`)
    return decodeInode(raw)
  }
  const make = async (path: string, mode: number): Promise<void> => {
    const [parent, name] = split(path)
    const ino = next++
    await transact(store, 'create', async tx => {
      const { dir, child } = await entry(tx, parent, name)
      if (child) throw new Error(`${path} exists`)
      const now = Date.now()
      tx.put(keys.inode(ino), encodeInode(inode(ino, mode, now)))
      tx.put(keys.entry(parent, name), JSON.stringify([ino, mode & S_IFMT]))
      dir.entries = (dir.entries ?? 0) + 1
      if ((mode & S_IFMT) === S_IFDIR) dir.nlink++
      dir.mtimeMs = dir.ctimeMs = now
      tx.put(keys.inode(parent), encodeInode(dir))
    })
    inos.set(path, ino)
  }
  /** remove drops an entry and frees its inode, as lib/fs's unlink and rmdir */
  const remove = async (path: string): Promise<void> => {
    const [parent, name] = split(path)
    await transact(store, 'unlink', async tx => {
      const { dir, child } = await entry(tx, parent, name)
      const i = await read(tx, child)
      const now = Date.now()
      tx.delete(keys.entry(parent, name))
      dir.entries = (dir.entries ?? 1) - 1
      if (isDir(i)) dir.nlink--
      dir.mtimeMs = dir.ctimeMs = now
      tx.put(keys.inode(parent), encodeInode(dir))
      // lib/fs asks whether another mount has the file open before it frees it
      if (!isDir(i) && (await tx.keys(keys.opens(i.ino))).length > 0) throw new Error(`${path} is open`)
      tx.delete(keys.inode(i.ino))
      tx.delete(keys.gone(i.ino))
      tx.deletePrefix(keys.chunks(i.ino))
      tx.deletePrefix(keys.xattrs(i.ino))
    })
    inos.delete(path)
  }

  return {
    setup: async () => {
      const root = { ...inode(ROOT_INO, S_IFDIR | 0o755, Date.now()), parent: ROOT_INO }
      await store.txn([], [{ type: 'put', key: keys.inode(ROOT_INO), value: encodeInode(root) }])
    },
    mkdir: path => make(path, S_IFDIR | 0o755),
    create: path => make(path, S_IFREG | 0o644),
    stat: async path => {
      const [parent, name] = split(path)
      const child = await transact(store, 'lookup', async tx => (await entry(tx, parent, name)).child)
      await transact(store, 'getattr', tx => read(tx, child))
    },
    readdir: async path => {
      const ino = inos.get(path) ?? ROOT_INO
      await transact(store, 'readdir', tx => read(tx, ino))
      let count = 0
      for (let after: Buffer | undefined, more = true; more; ) {
        const page = await store.range(keys.entries(ino), { limit: 1000, after })
        count += page.kvs.length
        after = page.kvs.at(-1)?.key
        more = page.more
      }
      return count
    },
    rename: async (from, to) => {
      const [src, srcName] = split(from)
      const [dst, dstName] = split(to)
      await transact(store, 'rename', async tx => {
        const s = await entry(tx, src, srcName)
        const d = await entry(tx, dst, dstName)
        const moved = await read(tx, s.child)
        const now = Date.now()
        tx.delete(keys.entry(src, srcName))
        tx.put(keys.entry(dst, dstName), JSON.stringify([moved.ino, moved.mode & S_IFMT]))
        s.dir.entries = (s.dir.entries ?? 1) - 1
        d.dir.entries = (d.dir.entries ?? 0) + 1
        moved.ctimeMs = s.dir.mtimeMs = s.dir.ctimeMs = d.dir.mtimeMs = d.dir.ctimeMs = now
        tx.put(keys.inode(moved.ino), encodeInode(moved))
        tx.put(keys.inode(src), encodeInode(s.dir))
        tx.put(keys.inode(dst), encodeInode(d.dir))
      })
      inos.set(to, inos.get(from) ?? 0)
      inos.delete(from)
    },
    unlink: remove,
    rmdir: remove,
    teardown: async () => {
      await store.txn([], [{ type: 'deletePrefix', prefix: keys.prefix }])
    },
  }
}
