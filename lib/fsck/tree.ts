// The namespace rules: every entry sits in a directory and names an existing inode of the
// type it says; every inode but the root is reachable from the root (or is an unlinked file
// kept by a gone/ marker); link counts, entry counts and parent pointers agree with the entries.
import { isDir, S_IFMT, type Inode } from '../fs/inode'
import { decodeEntry, ROOT_INO, type Keys } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import type { Report } from './report'
import { scan } from './scan'

/** What the directory entries say, gathered in one pass over them. */
export interface Names {
  /** entries examined */
  count: number
  /** inode -> the directory of each entry that names it */
  namedIn: Map<number, number[]>
  /** directory -> how many entries it holds */
  perDir: Map<number, number>
  /** directory -> the directories its entries name */
  childDirs: Map<number, number[]>
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k)
  if (list) list.push(v)
  else m.set(k, [v])
}

/** loadEntries reads every directory entry, checking it against the inodes as it goes. */
export async function loadEntries(
  store: MetaStore, keys: Keys, inodes: Map<number, Inode>, report: Report,
  names: Names = { count: 0, namedIn: new Map(), perDir: new Map(), childDirs: new Map() },
): Promise<Names> {
  for await (const kv of scan(store, keys.section('d'))) {
    const key = kv.key.toString()
    const parts = keys.parse('d', kv.key)
    if (!parts || parts.rest === '') {
      report({ kind: 'bad-key', key, detail: 'not a directory entry key' })
      continue
    }
    names.count++
    const parent = parts.ino
    names.perDir.set(parent, (names.perDir.get(parent) ?? 0) + 1)
    const dir = inodes.get(parent)
    if (!dir || !isDir(dir)) {
      report({ kind: 'entry-parent', key, ino: parent, detail: `entry '${parts.rest}' is in inode ${parent}, which ${dir ? 'is not a directory' : 'does not exist'}` })
    }
    const value = decodeEntry(kv.value)
    if (!value) {
      report({ kind: 'bad-entry', key, ino: parent, detail: `entry '${parts.rest}' does not decode as [ino, type]` })
      continue
    }
    const { ino, type } = value
    const child = inodes.get(ino)
    if (!child) {
      report({ kind: 'dangling-entry', key, ino, detail: `entry '${parts.rest}' names inode ${ino}, which does not exist` })
      continue
    }
    if ((child.mode & S_IFMT) !== type) {
      report({ kind: 'entry-type', key, ino, detail: `entry '${parts.rest}' says type ${type.toString(8)}, inode ${ino} is ${(child.mode & S_IFMT).toString(8)}` })
    }
    push(names.namedIn, ino, parent)
    if (isDir(child)) push(names.childDirs, parent, ino)
  }
  return names
}

/** reachableDirs walks the directory tree down from the root. */
function reachableDirs(names: Names): Set<number> {
  const seen = new Set([ROOT_INO])
  const todo = [ROOT_INO]
  for (let dir = todo.pop(); dir !== undefined; dir = todo.pop()) {
    for (const child of names.childDirs.get(dir) ?? []) {
      if (!seen.has(child)) {
        seen.add(child)
        todo.push(child)
      }
    }
  }
  return seen
}

/** checkTree checks each inode's links, entry count, parent and reachability against the entries. */
export function checkTree(inodes: Map<number, Inode>, names: Names, gone: Set<number>, keys: Keys, report: Report): void {
  const root = inodes.get(ROOT_INO)
  if (!root || !isDir(root)) report({ kind: 'missing-root', key: keys.inode(ROOT_INO), ino: ROOT_INO, detail: 'the root directory is missing or not a directory' })
  const reachable = reachableDirs(names)
  for (const [ino, inode] of inodes) {
    const key = keys.inode(ino)
    const namedIn = names.namedIn.get(ino) ?? []
    const dir = isDir(inode)
    if (dir) {
      const held = names.perDir.get(ino) ?? 0
      if ((inode.entries ?? 0) !== held) report({ kind: 'entries-count', key, ino, detail: `directory says ${inode.entries ?? 0} entries, holds ${held}` })
    }
    if (ino === ROOT_INO) {
      if (namedIn.length > 0) report({ kind: 'dir-names', key, ino, detail: `the root is named by ${namedIn.length} entries` })
      if (inode.parent !== ROOT_INO) report({ kind: 'dir-parent', key, ino, detail: `the root's parent is ${inode.parent}, not itself` })
    } else if (namedIn.length === 0) {
      if (!(gone.has(ino) && inode.nlink === 0)) report({ kind: 'orphan', key, ino, detail: `no entry names inode ${ino} (nlink ${inode.nlink}) and no gone/ marker keeps it` })
      continue
    }
    const links = dir ? 2 + (names.childDirs.get(ino)?.length ?? 0) : namedIn.length
    if (inode.nlink !== links) {
      report({ kind: 'nlink', key, ino, detail: `nlink is ${inode.nlink}, the entries make it ${links}` })
    }
    if (dir && ino !== ROOT_INO) {
      if (namedIn.length > 1) report({ kind: 'dir-names', key, ino, detail: `directory named by ${namedIn.length} entries (in ${namedIn.join(', ')})` })
      else if (inode.parent !== namedIn[0]) report({ kind: 'dir-parent', key, ino, detail: `parent field says ${inode.parent}, the entry naming it is in ${namedIn[0]}` })
    }
    const seen = dir ? reachable.has(ino) : namedIn.some(p => reachable.has(p))
    if (!seen) report({ kind: 'orphan', key, ino, detail: `inode ${ino} is named only inside a subtree the root does not reach` })
  }
}
