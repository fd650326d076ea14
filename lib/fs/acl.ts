// POSIX ACLs (acl(5)): kept in the inode record (`acl`: the access ACL, `defaultAcl`: a
// directory's default ACL), so that permission checks need no read beyond the inode. Read and
// written as the xattrs system.posix_acl_access / system.posix_acl_default in the kernel's
// format: a little-endian u32 version (2), then per entry u16 tag, u16 perm, u32 id.
//
// As the kernel does it: the mode's group bits are the ACL's mask (the owning group's entry
// when there is no mask); chmod rewrites owner, mask and other; setting an ACL rewrites the
// mode (and drops setgid for a setter outside the group); a new inode in a directory with a
// default ACL gets it, cut down by the mode it was made with.
import { EINVAL } from '../errors'
import { isDir, isLink, S_ISGID, type Inode } from './inode'
import type { Identity } from './types'

export const ACL_ACCESS = 'system.posix_acl_access'
export const ACL_DEFAULT = 'system.posix_acl_default'

export const USER_OBJ = 0x01
export const USER = 0x02
export const GROUP_OBJ = 0x04
export const GROUP = 0x08
export const MASK = 0x10
export const OTHER = 0x20

const VERSION = 2
const NO_ID = 0xffffffff
const HEADER = 4
const ENTRY = 8

/** one entry: its tag, rwx bits, and the uid or gid of a named USER or GROUP entry */
export interface AclEntry {
  tag: number
  perm: number
  id?: number
}

export type Acl = AclEntry[]

/** decodeAcl reads the xattr value; EINVAL unless it is a valid ACL (an empty one is []) */
export function decodeAcl(b: Buffer): Acl {
  if (b.length < HEADER || (b.length - HEADER) % ENTRY !== 0 || b.readUInt32LE(0) !== VERSION) throw EINVAL('not a POSIX ACL')
  const acl: Acl = []
  for (let at = HEADER; at < b.length; at += ENTRY) {
    const tag = b.readUInt16LE(at)
    const perm = b.readUInt16LE(at + 2)
    const id = b.readUInt32LE(at + 4)
    acl.push(tag === USER || tag === GROUP ? { tag, perm, id } : { tag, perm })
  }
  if (acl.length > 0) validate(acl)
  return acl
}

export function encodeAcl(acl: Acl): Buffer {
  const b = Buffer.alloc(HEADER + ENTRY * acl.length)
  b.writeUInt32LE(VERSION, 0)
  acl.forEach((e, n) => {
    b.writeUInt16LE(e.tag, HEADER + n * ENTRY)
    b.writeUInt16LE(e.perm, HEADER + n * ENTRY + 2)
    b.writeUInt32LE(e.id ?? NO_ID, HEADER + n * ENTRY + 4)
  })
  return b
}

/** validate: one owner, owning group and other entry; a mask when named entries exist; sorted, no duplicates */
function validate(acl: Acl): void {
  const count = (tag: number) => acl.filter(e => e.tag === tag).length
  const named = count(USER) + count(GROUP)
  const ok = count(USER_OBJ) === 1 && count(GROUP_OBJ) === 1 && count(OTHER) === 1 && count(MASK) <= 1 &&
    (named === 0 || count(MASK) === 1) && acl.every(e => [USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER].includes(e.tag) && (e.perm & ~7) === 0) &&
    acl.every((e, n) => n === 0 || acl[n - 1].tag < e.tag || (acl[n - 1].tag === e.tag && (e.tag === USER || e.tag === GROUP) && acl[n - 1].id! < e.id!))
  if (!ok) throw EINVAL('not a valid POSIX ACL')
}

const entry = (acl: Acl, tag: number) => acl.find(e => e.tag === tag)

/** isMinimal: the ACL says no more than permission bits can (owner, owning group, other) */
export function isMinimal(acl: Acl): boolean {
  return acl.every(e => e.tag === USER_OBJ || e.tag === GROUP_OBJ || e.tag === OTHER)
}

/** modeBits are the permission bits an access ACL stands for (group: the mask if there is one) */
export function modeBits(acl: Acl): number {
  const group = entry(acl, MASK) ?? entry(acl, GROUP_OBJ)!
  return (entry(acl, USER_OBJ)!.perm << 6) | (group.perm << 3) | entry(acl, OTHER)!.perm
}

/** chmodAcl is the access ACL after chmod to mode: owner, mask (or owning group) and other follow it */
export function chmodAcl(acl: Acl, mode: number): Acl {
  const hasMask = entry(acl, MASK) !== undefined
  return acl.map(e => {
    if (e.tag === USER_OBJ) return { ...e, perm: (mode >> 6) & 7 }
    if (e.tag === (hasMask ? MASK : GROUP_OBJ)) return { ...e, perm: (mode >> 3) & 7 }
    if (e.tag === OTHER) return { ...e, perm: mode & 7 }
    return e
  })
}

/**
 * setAccessAcl is what setting an access ACL does to an inode's mode and stored ACL: the mode
 * takes its bits, setgid goes for a setter outside the file's group (not root), and an ACL
 * that says no more than the mode is not kept
 */
export function setAccessAcl(acl: Acl, mode: number, gid: number, who: Identity): { mode: number; acl?: Acl } {
  let m = (mode & ~0o777) | modeBits(acl)
  if (who.uid !== 0 && who.gid !== gid && !(who.groups ?? []).includes(gid)) m &= ~S_ISGID
  return { mode: m, acl: isMinimal(acl) ? undefined : acl }
}

/**
 * inherit is what a new inode made with mode gets from its directory's default ACL: the ACL cut
 * down by the mode's owner, group (the mask's, if any) and other bits, and the mode cut down by
 * the ACL; directories also take the default ACL as their own
 */
export function inherit(defaultAcl: Acl, mode: number, dir: boolean): { mode: number; acl?: Acl; defaultAcl?: Acl } {
  const groupTag = entry(defaultAcl, MASK) ? MASK : GROUP_OBJ
  const shift: Record<number, number> = { [USER_OBJ]: 6, [groupTag]: 3, [OTHER]: 0 }
  let m = mode
  const acl = defaultAcl.map(e => {
    const s = shift[e.tag]
    if (s === undefined) return e
    const perm = e.perm & ((mode >> s) & 7)
    m = (m & ~(7 << s)) | (perm << s)
    return { ...e, perm }
  })
  return { mode: m, acl: isMinimal(acl) ? undefined : acl, defaultAcl: dir ? defaultAcl : undefined }
}

/**
 * createMode settles a new inode's permissions: its directory's default ACL, if there is one
 * (cut down by the mode asked), else the creator's umask; symlinks keep theirs
 */
export function createMode(dir: Inode, i: Inode, who: Identity): void {
  if (isLink(i)) return
  if (!dir.defaultAcl) {
    i.mode &= ~((who.umask ?? 0) & 0o777)
    return
  }
  const got = inherit(dir.defaultAcl, i.mode & 0o777, isDir(i))
  i.mode = (i.mode & ~0o777) | got.mode
  if (got.acl) i.acl = got.acl
  if (got.defaultAcl) i.defaultAcl = got.defaultAcl
}

/**
 * aclAllows is the ACL access check (acl(5)) for a caller who is not the owner (the owner's
 * entry is the mode's owner bits) and not root: a named user entry, else the matching group
 * entries (one of them must grant it all), else other; named and group entries count only
 * as far as the mask allows
 */
export function aclAllows(acl: Acl, fileGid: number, who: Identity, want: number): boolean {
  const mask = entry(acl, MASK)?.perm ?? 7
  const grants = (perm: number) => (perm & want) === want
  const user = acl.find(e => e.tag === USER && e.id === who.uid)
  if (user) return grants(user.perm & mask)
  const inGroup = (gid: number) => who.gid === gid || (who.groups ?? []).includes(gid)
  const groups = acl.filter(e => (e.tag === GROUP_OBJ && inGroup(fileGid)) || (e.tag === GROUP && inGroup(e.id!)))
  if (groups.length > 0) return groups.some(e => grants(e.perm & mask))
  return grants(entry(acl, OTHER)!.perm)
}
