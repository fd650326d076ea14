// CaseDir: one conformance case's fresh directory, and every operation a case may make in it,
// each taking a path relative to it. Node's own fs calls where node has them; python3 makes
// the system calls node lacks, and setfacl/getfacl/touch/stat(1) the rest.
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { constants, promises as fs } from 'node:fs'

const { O_RDONLY, O_WRONLY } = constants

export type Errno =
  | 'EACCES' | 'EBUSY' | 'EEXIST' | 'EINVAL' | 'EISDIR' | 'ELOOP' | 'ENAMETOOLONG'
  | 'ENODATA' | 'ENOENT' | 'ENOTDIR' | 'ENOTEMPTY' | 'EPERM'
  | 'E2BIG' | 'ERANGE' | 'EFBIG' | 'EILSEQ'

// Node has no mkfifo, xattr or utimensat(UTIME_NOW) calls; python3 (on every machine, node-gyp
// needs it) makes the real system call and reports the errno by name. setfattr would not do:
// it cannot pass XATTR_CREATE or XATTR_REPLACE, and reports errors as text.
const PYTHON_SYSCALLS = `
import errno, json, os, subprocess, sys

def as_user(uid, name, *args):
    # the call runs in a child that has become uid (no groups); the parent only waits
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        sys.exit(0)
    os.setgroups([])
    os.setgid(int(uid))
    os.setuid(int(uid))
    return calls[name](*args)

def mmap_store_append(path, data):
    # a store through a shared mapping of a file opened O_APPEND, then msync
    import mmap
    fd = os.open(path, os.O_RDWR | os.O_APPEND)
    try:
        m = mmap.mmap(fd, os.fstat(fd).st_size)
        m[0:len(data)] = data.encode()
        m.flush()
        m.close()
    finally:
        os.close(fd)

calls = {
    'as': as_user,
    'exec': lambda path: subprocess.run([path]).returncode,
    'read': lambda path: len(open(path, 'rb').read()),
    'mmap_store_append': mmap_store_append,
    'mkfifo': lambda path, mode: os.mkfifo(path, int(mode)),
    'utime_now': os.utime,
    'setxattr': lambda path, name, value, flags: os.setxattr(path, name, bytes.fromhex(value), int(flags)),
    'getxattr': lambda path, name: os.getxattr(path, name).hex(),
    'listxattr': os.listxattr,
    'removexattr': os.removexattr,
}
try:
    print(json.dumps({'result': calls[sys.argv[1]](*sys.argv[2:])}))
except OSError as e:
    print(json.dumps({'code': errno.errorcode[e.errno]}))
`

// asked once for its own executable, as 'python3' may be a wrapper that is slow to start (pyenv's)
const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout?.trim()
const execFileAsync = promisify(execFile)
/** how tools such as setfacl print an errno */
const TOOL_ERRORS: Record<string, Errno> = { 'Permission denied': 'EACCES', 'Operation not permitted': 'EPERM', 'Invalid argument': 'EINVAL' }
/** why the cases that need python3 are skipped, when they are */
export const NO_PYTHON = PYTHON ? undefined : 'python3 not found: it makes the mkfifo, xattr and UTIME_NOW calls node lacks'

/**
 * syscall makes one system call through python3; a failure throws an error with its errno code,
 * as node's do. Asynchronous on purpose: the filesystem under test may be served by this very
 * process (an in-process FUSE mount), which a synchronous spawn would deadlock.
 */
async function syscall(name: string, ...args: string[]): Promise<unknown> {
  let stdout: string
  try {
    ({ stdout } = await execFileAsync(PYTHON!, ['-c', PYTHON_SYSCALLS, name, ...args], { encoding: 'utf8' }))
  } catch (err) {
    throw new Error(`python3 ${name}: ${(err as { stderr?: string }).stderr ?? err}`)
  }
  const out: { result?: unknown; code?: string } = JSON.parse(stdout)
  if (out.code) throw Object.assign(new Error(`${name} ${args[0]}: ${out.code}`), { code: out.code })
  return out.result
}
/** why the ACL cases are skipped, when they are */
export const NO_ACL_TOOLS = spawnSync('setfacl', ['--version']).status === 0 ? undefined : "setfacl not found (Debian package 'acl', fixtures/setup.sh)"

/** CaseDir is one case's fresh directory; every method takes a path relative to it. */
export class CaseDir {
  constructor(readonly root: string) {}

  // concatenated, not path.join()ed, so that 'd/.' and 'f/' reach the kernel as written
  path(rel: string): string {
    return `${this.root}/${rel}`
  }

  mkdir = (rel: string, mode?: number) => fs.mkdir(this.path(rel), mode)
  rmdir = (rel: string) => fs.rmdir(this.path(rel))
  write = (rel: string, data: string | Buffer = '') => fs.writeFile(this.path(rel), data)
  append = (rel: string, data: string) => fs.appendFile(this.path(rel), data)
  read = (rel: string) => fs.readFile(this.path(rel))
  text = (rel: string) => fs.readFile(this.path(rel), 'utf8')
  truncate = (rel: string, length: number) => fs.truncate(this.path(rel), length)
  unlink = (rel: string) => fs.unlink(this.path(rel))
  rename = (from: string, to: string) => fs.rename(this.path(from), this.path(to))
  link = (existing: string, rel: string) => fs.link(this.path(existing), this.path(rel))
  symlink = (target: string, rel: string) => fs.symlink(target, this.path(rel))
  readlink = (rel: string) => fs.readlink(this.path(rel))
  stat = (rel: string) => fs.stat(this.path(rel))
  lstat = (rel: string) => fs.lstat(this.path(rel))
  chmod = (rel: string, mode: number) => fs.chmod(this.path(rel), mode)
  chown = (rel: string, uid: number, gid: number) => fs.chown(this.path(rel), uid, gid)
  lchown = (rel: string, uid: number, gid: number) => fs.lchown(this.path(rel), uid, gid)
  utimes = (rel: string, atime: Date, mtime: Date) => fs.utimes(this.path(rel), atime, mtime)
  access = (rel: string, mode: number) => fs.access(this.path(rel), mode)
  statfs = (rel: string) => fs.statfs(this.path(rel))
  list = async (rel: string) => (await fs.readdir(this.path(rel))).sort()

  open = async (rel: string, flags: number | string, mode?: number) => {
    await (await fs.open(this.path(rel), flags, mode)).close()
  }

  /** withHandle runs fn on a handle of rel opened with flags, then closes it. */
  withHandle = async <R>(rel: string, flags: number | string, fn: (fh: fs.FileHandle) => Promise<R>): Promise<R> => {
    const fh = await fs.open(this.path(rel), flags)
    try {
      return await fn(fh)
    } finally {
      await fh.close()
    }
  }

  pwrite = (rel: string, data: string, position: number) => this.withHandle(rel, O_WRONLY, fh => fh.write(data, position))
  ftruncate = (rel: string, length: number) => this.withHandle(rel, O_WRONLY, fh => fh.truncate(length))
  pread = (rel: string, length: number, position: number) =>
    this.withHandle(rel, O_RDONLY, async fh => {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(length), 0, length, position)
      return buffer.subarray(0, bytesRead)
    })

  exists = (rel: string) => this.lstat(rel).then(() => true, () => false)

  kinds = async (rel: string) => {
    const kinds: Record<string, string> = {}
    for (const e of await fs.readdir(this.path(rel), { withFileTypes: true })) {
      kinds[e.name] = e.isFile() ? 'file' : e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'symlink' : e.isFIFO() ? 'fifo' : 'other'
    }
    return kinds
  }

  mkfifo = async (rel: string, mode = 0o666) => void await syscall('mkfifo', this.path(rel), String(mode))
  touch = async (rel: string) => void await syscall('utime_now', this.path(rel))
  /** touchAt sets times with touch(1) (utimensat, to the nanosecond); flags such as '-m' pick which */
  touchAt = async (rel: string, when: string, ...flags: string[]) => void await execFileAsync('touch', [...flags, '-d', when, this.path(rel)])
  /** exactTimes is stat(1)'s '%.9X %.9Y': atime and mtime in seconds to the nanosecond */
  exactTimes = async (rel: string) => (await execFileAsync('stat', ['-c', '%.9X %.9Y', this.path(rel)], { encoding: 'utf8' })).stdout.trim()
  setxattr = async (rel: string, name: string, value: string | Buffer, flags = 0) =>
    void await syscall('setxattr', this.path(rel), name, Buffer.from(value).toString('hex'), String(flags))
  getxattr = async (rel: string, name: string) => Buffer.from((await syscall('getxattr', this.path(rel), name)) as string, 'hex')
  listxattr = async (rel: string) => ((await syscall('listxattr', this.path(rel))) as string[]).filter(n => n.startsWith('user.')).sort()
  removexattr = async (rel: string, name: string) => void await syscall('removexattr', this.path(rel), name)
  copy = (from: string, rel: string) => fs.copyFile(from, this.path(rel))
  /** mmapStoreAppend opens rel O_RDWR|O_APPEND, stores data at 0 through a shared mapping, msyncs */
  mmapStoreAppend = async (rel: string, data: string) => void await syscall('mmap_store_append', this.path(rel), data)
  /** setfacl(1) with its arguments, the path last; a failure throws with the errno its message names */
  setfacl = async (rel: string, ...args: string[]) => {
    try {
      await execFileAsync('setfacl', [...args, this.path(rel)])
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr)
      const code = Object.entries(TOOL_ERRORS).find(([text]) => stderr.includes(text))?.[1]
      throw Object.assign(new Error(`setfacl ${rel}: ${stderr.trim()}`), { code })
    }
  }
  /** getfacl(1) without its header: the ACL as text, one entry a line */
  getfacl = async (rel: string) => (await execFileAsync('getfacl', ['--omit-header', this.path(rel)], { encoding: 'utf8' })).stdout.trim()
  /** asUser makes one call ('exec': run the program, its exit status; 'read': its length) as uid, without groups */
  asUser = (uid: number, call: 'exec' | 'read', rel: string) => syscall('as', String(uid), call, this.path(rel))
}

/** the operations a case may name: every method of CaseDir that returns a promise */
export type OpName = { [K in keyof CaseDir]: CaseDir[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof CaseDir]
