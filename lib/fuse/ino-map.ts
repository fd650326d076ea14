// fuse-native carries st_ino in 32 bits, while Meridian's inode numbers name their group in
// bits 40 and up (lib/fs/ino.ts). Numbers below 2^31 (the root group's first two billion
// inodes) pass unchanged; every other number gets the next free one from 2^31 up, for as long
// as this process runs, so that two inodes never show one st_ino. Such numbers are not stable
// across remounts; the inode-based binding carries the real 64-bit numbers instead.
import { FsError } from '../errors'

const DIRECT = 2 ** 31
const U32 = 2 ** 32

const assigned = new Map<number, number>()
let next = DIRECT

/** narrowIno is the 32-bit st_ino fuse-native shows for inode ino */
export function narrowIno(ino: number): number {
  if (ino < DIRECT) return ino
  let n = assigned.get(ino)
  if (n === undefined) {
    if (next >= U32) throw new FsError('EOVERFLOW', `no 32-bit inode number left for inode ${ino}`)
    n = next++
    assigned.set(ino, n)
  }
  return n
}
