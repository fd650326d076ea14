// The fuse-native op table: a thin adapter. Each op turns its path into an inode with
// fs.resolve / fs.resolveParent, makes one call into lib/fs, converts the result
// (lib/fuse/stat.ts), and converts a failure exactly once, in serve() -> errnoOf().
//
// Identity: every op acts as its caller (uid, gid, groups: `ctx`, read when the op arrives;
// our patch of fuse-native passes it, see caller.ts), and the mount uses default_permissions so
// that the kernel checks mode bits first (docs/fuse.md), unless mounted with -o acl: then lib/fs
// alone checks (the mode, or the POSIX ACL), so paths are walked and read as the caller too.
import { constants as fsc } from 'node:fs'
import { constants } from 'node:os'
import { posix } from 'node:path'
import type { Reply } from 'fuse-native'
import { isKnown, toErrno } from '../errors'
import type { Filesystem } from '../fs/filesystem'
import type { Identity } from '../fs/types'
import { log } from '../log'
import { opStarted } from '../metrics/ops'
import { toDirentStat, toStat, toStatfs, type TimeArg } from './stat'

/** how many times each op was called, by op name (the write counter proves big_writes) */
export type OpCounts = Record<string, number>

/** chown passes (uid_t)-1 for "leave as is" */
const UNCHANGED_ID = 0xffffffff

const OK: [number] = [0]

/** errnoOf converts a failure into the negative errno fuse-native answers; unknown ones are logged. */
export function errnoOf(err: unknown, op: string, path: string): number {
  const code = toErrno(err)
  if (isKnown(err)) log.debug({ op, path, code }, `fuse ${op}: ${code}`)
  else log.error({ op, path, err }, `fuse ${op} failed unexpectedly; answering EIO`)
  return -(constants.errno[code] ?? constants.errno.EIO)
}

export function fuseOps(fs: Filesystem, caller: () => Identity, counts: OpCounts): Record<string, (...args: any[]) => void> {
  /** serve runs one op: work resolves to the reply's arguments; nothing escapes as a rejection */
  function serve(op: string, path: string, cb: Reply, work: (ctx: Identity) => Promise<unknown[]>): void {
    counts[op] = (counts[op] ?? 0) + 1
    const answered = opStarted(op, path)
    // read at once: the caller is only known while fuse-native is calling us
    const ctx = caller()
    new Promise<unknown[]>(resolve => resolve(work(ctx)))
      .catch((err: unknown) => [errnoOf(err, op, path)])
      .then(args => {
        // a negative first argument is an errno; reads and writes answer a byte count
        answered(Math.min(0, args[0] as number))
        cb(...(args as [number, ...unknown[]]))
      })
      .catch((err: unknown) => log.error({ op, path, err }, `fuse ${op}: the reply failed`))
  }

  const ino = async (path: string, ctx: Identity) => (await fs.resolve(path, ctx)).ino

  return {
    getattr: (path: string, cb: Reply) =>
      serve('getattr', path, cb, async ctx => [0, toStat(await fs.resolve(path, ctx))]),

    // the kernel passes a handle for regular files only (directories come by path, see docs/fuse.md)
    fgetattr: (path: string, fh: number, cb: Reply) =>
      serve('fgetattr', path, cb, async () => [0, toStat(await fs.fgetattr(fh))]),

    access: (path: string, mask: number, cb: Reply) =>
      serve('access', path, cb, async ctx => {
        await fs.access(await ino(path, ctx), mask, ctx)
        return OK
      }),

    statfs: (path: string, cb: Reply) =>
      serve('statfs', path, cb, async () => [0, toStatfs(await fs.statfs())]),

    readdir: (path: string, cb: Reply) =>
      serve('readdir', path, cb, async ctx => {
        const dir = await fs.resolve(path, ctx)
        const up = path === '/' ? dir.ino : await ino(posix.dirname(path), ctx)
        const entries = await fs.readdir(dir.ino, ctx)
        const names = ['.', '..', ...entries.map(e => e.name)]
        const stats = [toDirentStat(dir.ino, fsc.S_IFDIR), toDirentStat(up, fsc.S_IFDIR), ...entries.map(e => toDirentStat(e.ino, e.type))]
        return [0, names, stats]
      }),

    readlink: (path: string, cb: Reply) =>
      serve('readlink', path, cb, async ctx => [0, await fs.readlink(await ino(path, ctx))]),

    // ---- attributes ----

    chmod: (path: string, mode: number, cb: Reply) =>
      serve('chmod', path, cb, async ctx => {
        await fs.setattr(await ino(path, ctx), { mode: mode & 0o7777 }, ctx)
        return OK
      }),

    chown: (path: string, uid: number, gid: number, cb: Reply) =>
      serve('chown', path, cb, async ctx => {
        await fs.setattr(await ino(path, ctx), {
          uid: uid === UNCHANGED_ID ? undefined : uid,
          gid: gid === UNCHANGED_ID ? undefined : gid,
        }, ctx)
        return OK
      }),

    // MeridianFuse decodes the times (timeArg)
    utimens: (path: string, atime: TimeArg, mtime: TimeArg, cb: Reply) =>
      serve('utimens', path, cb, async ctx => {
        await fs.setattr(await ino(path, ctx), { atime, mtime }, ctx)
        return OK
      }),

    truncate: (path: string, size: number, cb: Reply) =>
      serve('truncate', path, cb, async ctx => {
        await fs.setattr(await ino(path, ctx), { size }, ctx)
        return OK
      }),

    ftruncate: (path: string, fh: number, size: number, cb: Reply) =>
      serve('ftruncate', path, cb, async ctx => {
        await fs.setattr(await ino(path, ctx), { size }, ctx, fh)
        return OK
      }),

    // ---- names ----

    mknod: (path: string, mode: number, rdev: number, cb: Reply) =>
      serve('mknod', path, cb, async ctx => {
        const { parent, name } = await fs.resolveParent(path, ctx)
        await fs.mknod(parent, name, mode, rdev, ctx)
        return OK
      }),

    mkdir: (path: string, mode: number, cb: Reply) =>
      serve('mkdir', path, cb, async ctx => {
        const { parent, name } = await fs.resolveParent(path, ctx)
        await fs.mkdir(parent, name, mode, ctx)
        return OK
      }),

    symlink: (target: string, path: string, cb: Reply) =>
      serve('symlink', path, cb, async ctx => {
        const { parent, name } = await fs.resolveParent(path, ctx)
        await fs.symlink(parent, name, target, ctx)
        return OK
      }),

    link: (src: string, dest: string, cb: Reply) =>
      serve('link', `${src} -> ${dest}`, cb, async ctx => {
        const from = await ino(src, ctx)
        const { parent, name } = await fs.resolveParent(dest, ctx)
        await fs.link(from, parent, name, ctx)
        return OK
      }),

    unlink: (path: string, cb: Reply) =>
      serve('unlink', path, cb, async ctx => {
        const { parent, name } = await fs.resolveParent(path, ctx)
        await fs.unlink(parent, name, ctx)
        return OK
      }),

    rmdir: (path: string, cb: Reply) =>
      serve('rmdir', path, cb, async ctx => {
        const { parent, name } = await fs.resolveParent(path, ctx)
        await fs.rmdir(parent, name, ctx)
        return OK
      }),

    rename: (src: string, dest: string, cb: Reply) =>
      serve('rename', `${src} -> ${dest}`, cb, async ctx => {
        const from = await fs.resolveParent(src, ctx)
        const to = await fs.resolveParent(dest, ctx)
        await fs.rename(from.parent, from.name, to.parent, to.name, ctx)
        return OK
      }),

    // ---- open files ----

    // fuse-native passes no open flags to create: the handle is read-write (the kernel
    // already enforces the caller's access mode on its file descriptor)
    create: (path: string, mode: number, cb: Reply) =>
      serve('create', path, cb, async ctx => {
        const { parent, name } = await fs.resolveParent(path, ctx)
        const { fh } = await fs.create(parent, name, mode, fsc.O_CREAT | fsc.O_RDWR, ctx)
        return [0, fh]
      }),

    open: (path: string, flags: number, cb: Reply) =>
      serve('open', path, cb, async ctx => [0, await fs.openPath(path, flags, ctx)]),

    // buf is libfuse's memory, valid only until we answer: copy into it before the reply
    read: (path: string, fh: number, buf: Buffer, length: number, position: number, cb: Reply) =>
      serve('read', path, cb, async () => {
        const data = await fs.read(fh, position, length)
        return [data.copy(buf, 0, 0, Math.min(data.length, length))]
      }),

    // ... and lib/fs copies out of it before its write settles (FileData.write), so no copy here;
    // writeback: the kernel writes cached (mmap'd) pages back, at their offset (MeridianFuse)
    write: (path: string, fh: number, buf: Buffer, length: number, position: number, writeback: boolean, cb: Reply) =>
      serve('write', path, cb, async () => [await fs.write(fh, position, buf.subarray(0, length), { writeback })]),

    flush: (path: string, fh: number, cb: Reply) =>
      serve('flush', path, cb, async () => {
        await fs.flush(fh)
        return OK
      }),

    fsync: (path: string, _datasync: number, fh: number, cb: Reply) =>
      serve('fsync', path, cb, async () => {
        await fs.fsync(fh)
        return OK
      }),

    fsyncdir: (path: string, _datasync: number, _fh: number, cb: Reply) =>
      serve('fsyncdir', path, cb, async () => {
        await fs.sync()
        return OK
      }),

    release: (path: string, fh: number, cb: Reply) =>
      serve('release', path, cb, async () => {
        await fs.release(fh)
        return OK
      }),

    // ---- extended attributes ----

    setxattr: (path: string, name: string, value: Buffer, _position: number, flags: number, cb: Reply) =>
      serve('setxattr', path, cb, async ctx => {
        await fs.setxattr(await ino(path, ctx), name, Buffer.from(value), flags, ctx)
        return OK
      }),

    getxattr: (path: string, name: string, _position: number, cb: Reply) =>
      serve('getxattr', path, cb, async ctx => [0, await fs.getxattr(await ino(path, ctx), name, ctx)]),

    listxattr: (path: string, cb: Reply) =>
      serve('listxattr', path, cb, async ctx => [0, await fs.listxattr(await ino(path, ctx))]),

    removexattr: (path: string, name: string, cb: Reply) =>
      serve('removexattr', path, cb, async ctx => {
        await fs.removexattr(await ino(path, ctx), name, ctx)
        return OK
      }),
  }
}
