// Permission checks by mode, owner and group (or the POSIX ACL, acl.ts), and the sticky-bit rule, as the kernel does them.
import { constants } from 'node:fs'
import { EACCES, EPERM } from '../errors'
import { aclAllows } from './acl'
import { isDir, S_ISVTX, type Inode } from './inode'
import type { Identity } from './types'

export const R = constants.R_OK
export const W = constants.W_OK
export const X = constants.X_OK

const { O_WRONLY, O_RDWR } = constants
/** __FMODE_EXEC: the kernel marks the open that execve makes for the program with it */
export const FMODE_EXEC = 0x20

/** openMask is what an open with these flags needs: an open for execve needs execute, not read */
export function openMask(flags: number): number {
  if (flags & FMODE_EXEC) return X
  const acc = flags & (O_WRONLY | O_RDWR)
  return acc === O_WRONLY ? W : acc === O_RDWR ? R | W : R
}

export function inGroup(ctx: Identity, gid: number): boolean {
  return ctx.gid === gid || (ctx.groups?.includes(gid) ?? false)
}

/** allowed tells whether ctx may read, write and/or execute (mask of R, W, X) the inode. */
export function allowed(i: Inode, ctx: Identity, mask: number): boolean {
  if (ctx.uid === 0) {
    // root passes everything but execute, which needs some execute bit (or a directory)
    return !(mask & X) || isDir(i) || (i.mode & 0o111) !== 0
  }
  if (i.acl && ctx.uid !== i.uid) return aclAllows(i.acl, i.gid, ctx, mask)
  const bits = ctx.uid === i.uid ? (i.mode >> 6) & 7 : inGroup(ctx, i.gid) ? (i.mode >> 3) & 7 : i.mode & 7
  return (bits & mask) === mask
}

/** check throws EACCES unless ctx has mask on the inode. */
export function check(i: Inode, ctx: Identity, mask: number, what: string): void {
  if (!allowed(i, ctx, mask)) throw EACCES(what)
}

/** checkSticky: in a sticky directory only the owner of the entry or of the directory (or root) may remove it. */
export function checkSticky(dir: Inode, victim: Inode, ctx: Identity, what: string): void {
  if (!(dir.mode & S_ISVTX) || ctx.uid === 0 || ctx.uid === dir.uid || ctx.uid === victim.uid) return
  throw EPERM(what)
}
