// fsck on an embedded store: a filesystem built through lib/fs checks clean; each kind of
// damage, made directly through the store, is reported with its kind and nothing else.
import { openFilesystem } from '../lib/client/open'
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPool } from '../drivers'
import type { PoolDriver } from '../drivers/driver'
import type { Extent } from '../lib/data/extent'
import { fsck } from '../lib/fsck/check'
import { Filesystem } from '../lib/fs/filesystem'
import { decodeInode, encodeInode, S_IFDIR, S_IFREG, type Inode } from '../lib/fs/inode'
import { Keys, ROOT_INO } from '../lib/fs/schema'
import { ROOT } from '../lib/fs/types'
import { EmbeddedStore } from '../lib/meta/embedded'
import type { MetaStore } from '../lib/meta/store'

const NAME = 'meridian'
const KiB = 1024
const O_RDWR = 2

/** A small filesystem with every kind of thing in it, and the inode numbers of its parts. */
interface Built {
  store: MetaStore
  fs: Filesystem
  pool: PoolDriver
  keys: Keys
  ino: Record<'a' | 'b' | 'c' | 'big' | 'small' | 'open', number>
}

/**
 * build formats a filesystem in a fresh embedded store and fills it through lib/fs:
 *   /a/small-link  /a/ln -> b/big  /a (xattr)  /c/b/big (moved dir, truncated)  /small  /many/*
 * plus /open, unlinked while still open (a gone/ marker). `many` files exceed one scan page.
 */
async function build(t: Test, many = 0): Promise<Built> {
  const dir = await mkdtemp(join(tmpdir(), 'meridian-fsck-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = await EmbeddedStore.open({ path: join(dir, 'meta.db') })
  t.teardown(() => store.close())
  const pools = { local: { driver: 'local', path: join(dir, 'pool') } }
  await Filesystem.format(store, { name: NAME, blockSize: 64 * KiB, pools })
  const fs = await openFilesystem(store, { name: NAME })
  t.teardown(() => fs.close())
  const pool = await openPool(pools.local)
  t.teardown(() => pool.close())

  const a = (await fs.mkdir(ROOT_INO, 'a', 0o755, ROOT)).ino
  const b = (await fs.mkdir(a, 'b', 0o755, ROOT)).ino
  const big = await fs.create(b, 'big', 0o644, O_RDWR, ROOT)
  await fs.write(big.fh, 0, randomBytes(200 * KiB))
  await fs.release(big.fh)
  await fs.setattr(big.attr.ino, { size: 150 * KiB }, ROOT)
  const small = await fs.create(ROOT_INO, 'small', 0o644, O_RDWR, ROOT)
  await fs.write(small.fh, 0, Buffer.from('hello'))
  await fs.release(small.fh)
  await fs.link(small.attr.ino, a, 'small-link', ROOT)
  await fs.symlink(a, 'ln', 'b/big', ROOT)
  await fs.setxattr(a, 'user.k', Buffer.from('v'), 0, ROOT)
  const c = (await fs.mkdir(ROOT_INO, 'c', 0o755, ROOT)).ino
  await fs.rename(a, 'b', c, 'b', ROOT)
  await fs.mkdir(ROOT_INO, 'gone-dir', 0o755, ROOT)
  await fs.rmdir(ROOT_INO, 'gone-dir', ROOT)
  const open = await fs.create(ROOT_INO, 'open', 0o644, O_RDWR, ROOT)
  await fs.write(open.fh, 0, Buffer.from('still open'))
  await fs.fsync(open.fh)
  await fs.unlink(ROOT_INO, 'open', ROOT)
  if (many > 0) {
    const m = (await fs.mkdir(ROOT_INO, 'many', 0o755, ROOT)).ino
    for (let n = 0; n < many; n++) await fs.mknod(m, `f${n}`, S_IFREG | 0o644, 0, ROOT)
  }
  return { store, fs, pool, keys: new Keys(NAME), ino: { a, b, c, big: big.attr.ino, small: small.attr.ino, open: open.attr.ino } }
}

async function getJson<T>(store: MetaStore, key: string): Promise<T> {
  const { kv } = await store.get(key)
  if (!kv) throw new Error(`no key ${key}`)
  return JSON.parse(kv.value.toString()) as T
}

async function put(store: MetaStore, key: string, value: unknown): Promise<void> {
  await store.txn([], [{ type: 'put', key, value: typeof value === 'string' ? value : JSON.stringify(value) }])
}

async function del(store: MetaStore, key: string): Promise<void> {
  await store.txn([], [{ type: 'delete', key }])
}

/** patch rewrites fields of an inode record, bypassing lib/fs */
async function patch(b: Built, ino: number, change: (i: Inode) => void): Promise<void> {
  const { kv } = await b.store.get(b.keys.inode(ino))
  const i = decodeInode(kv!.value)
  change(i)
  await put(b.store, b.keys.inode(ino), encodeInode(i).toString())
}

const fakeBlob = 'sha256-' + 'ab'.repeat(32)

t.test('a filesystem built through lib/fs checks clean, over several scan pages, and fsck writes nothing', async t => {
  const b = await build(t, 520)
  const before = (await b.store.get(b.keys.setting())).revision
  const r = await fsck(b.store, NAME, { pools: [b.pool] })
  t.same(r.problems, [])
  t.equal(r.ok, true)
  // root, a, c, b, big, small, ln, the unlinked open file, many, and the 520 in it
  t.equal(r.inodes, 9 + 520)
  // a small c | small-link ln | b | big | many | the 520
  t.equal(r.entries, 8 + 520)
  t.equal(r.blobs, 3 + 1 + 1, 'big keeps three 64 KiB blocks after the truncate; small; open')
  t.equal((await b.store.get(b.keys.setting())).revision, before, 'the store revision did not move')
})

t.test('an unknown filesystem is a ConfigError naming the name', async t => {
  const b = await build(t)
  await t.rejects(fsck(b.store, 'nope'), { name: 'ConfigError', message: /no filesystem 'nope'/ })
})

interface Damage {
  what: string
  damage(b: Built): Promise<void>
  /** the kinds reported, each once or more, and no others */
  kinds: string[]
  /** the inodes the problems name */
  inos?: (b: Built) => number[]
}

const damages: Damage[] = [
  {
    what: 'a dangling entry (its directory count kept right)',
    damage: async b => {
      await put(b.store, b.keys.entry(b.ino.a, 'ghost'), [999, S_IFREG])
      await patch(b, b.ino.a, i => { i.entries = (i.entries ?? 0) + 1 })
    },
    kinds: ['dangling-entry'],
    inos: () => [999],
  },
  {
    what: 'a wrong link count on a file',
    damage: b => patch(b, b.ino.small, i => { i.nlink = 3 }),
    kinds: ['nlink'],
    inos: b => [b.ino.small],
  },
  {
    what: 'a wrong link count on a directory',
    damage: b => patch(b, b.ino.c, i => { i.nlink = 2 }),
    kinds: ['nlink'],
    inos: b => [b.ino.c],
  },
  {
    what: 'a wrong entry count',
    damage: b => patch(b, b.ino.a, i => { i.entries = 7 }),
    kinds: ['entries-count'],
    inos: b => [b.ino.a],
  },
  {
    what: 'an orphan inode',
    damage: b => put(b.store, b.keys.inode(500), encodeInode({ ...fileInode(500), nlink: 1 }).toString()),
    kinds: ['orphan'],
    inos: () => [500],
  },
  {
    what: 'a detached subtree: /c loses its entry, so c, c/b and c/b/big are unreachable',
    damage: async b => {
      await del(b.store, b.keys.entry(ROOT_INO, 'c'))
      await patch(b, ROOT_INO, i => { i.entries = (i.entries ?? 0) - 1; i.nlink-- })
    },
    kinds: ['orphan'],
    inos: b => [b.ino.b, b.ino.big, b.ino.c],
  },
  {
    what: 'an extent pointing at a blob no pool holds',
    damage: async b => {
      const [e] = await getJson<Extent[]>(b.store, b.keys.chunk(b.ino.small, 0))
      await b.pool.delete(e.blob)
    },
    kinds: ['missing-blob'],
    inos: b => [b.ino.small],
  },
  {
    what: 'overlapping extents',
    damage: async b => {
      const extents = await getJson<Extent[]>(b.store, b.keys.chunk(b.ino.big, 0))
      extents[1].off -= 100
      await put(b.store, b.keys.chunk(b.ino.big, 0), extents)
    },
    kinds: ['extent-overlap'],
    inos: b => [b.ino.big],
  },
  {
    what: 'an extent past the end of the file',
    damage: b => patch(b, b.ino.big, i => { i.size = 100 * KiB }),
    kinds: ['extent-beyond-size'],
    inos: b => [b.ino.big],
  },
  {
    what: 'an extent past the end of its chunk, and a malformed one',
    damage: async b => {
      const [e] = await getJson<Extent[]>(b.store, b.keys.chunk(b.ino.big, 0))
      await put(b.store, b.keys.chunk(b.ino.big, 1), [{ ...e, off: 64 * KiB * KiB - 10, len: 20 }, { off: 'x' }])
    },
    kinds: ['bad-extent', 'extent-range'],
    inos: b => [b.ino.big],
  },
  {
    what: 'a chunk of an inode that does not exist',
    damage: b => put(b.store, b.keys.chunk(700, 0), [{ off: 0, len: 1, blob: fakeBlob, boff: 0 }]),
    kinds: ['chunk-orphan'],
    inos: () => [700],
  },
  {
    what: 'an entry whose type differs from its inode',
    damage: b => put(b.store, b.keys.entry(ROOT_INO, 'small'), [b.ino.small, S_IFDIR]),
    kinds: ['entry-type'],
    inos: b => [b.ino.small],
  },
  {
    what: "a directory's parent field pointing elsewhere",
    damage: b => patch(b, b.ino.b, i => { i.parent = b.ino.a }),
    kinds: ['dir-parent'],
    inos: b => [b.ino.b],
  },
  {
    what: 'a gone/ marker on a file that still has links',
    damage: async b => {
      const { kv } = await b.store.get(b.keys.gone(b.ino.open))
      await put(b.store, b.keys.gone(b.ino.small), kv!.value.toString())
    },
    kinds: ['gone-linked'],
    inos: b => [b.ino.small],
  },
  {
    what: 'a nameless inode that no gone/ marker keeps (nothing would ever free it)',
    damage: b => del(b.store, b.keys.gone(b.ino.open)),
    kinds: ['orphan'],
    inos: b => [b.ino.open],
  },
  {
    what: 'a gone/ marker of an inode that does not exist',
    damage: b => put(b.store, b.keys.gone(900), 'sid'),
    kinds: ['gone-dangling'],
    inos: () => [900],
  },
  {
    what: 'the inode counter behind the inodes in use',
    damage: b => put(b.store, b.keys.nextInode(), String(b.ino.small)),
    kinds: ['inode-counter'],
  },
  {
    what: 'an xattr of an inode that does not exist',
    damage: b => put(b.store, b.keys.xattr(800, 'user.x'), 'v'),
    kinds: ['xattr-orphan'],
    inos: () => [800],
  },
]

function fileInode(ino: number): Inode {
  return { ino, mode: S_IFREG | 0o644, uid: 0, gid: 0, nlink: 0, size: 0, rdev: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 }
}

for (const d of damages) {
  t.test(`damage: ${d.what}`, async t => {
    const b = await build(t)
    await d.damage(b)
    const r = await fsck(b.store, NAME, { pools: [b.pool] })
    t.equal(r.ok, false, 'reported broken')
    t.same([...new Set(r.problems.map(p => p.kind))].sort(), [...d.kinds].sort(), JSON.stringify(r.problems, null, 1))
    if (d.inos) t.same([...new Set(r.problems.map(p => p.ino))].sort((x, y) => x! - y!), d.inos(b).sort((x, y) => x - y), 'names the inodes')
    t.ok(r.problems.every(p => p.detail.length > 0), 'each problem says what is wrong')
  })
}
