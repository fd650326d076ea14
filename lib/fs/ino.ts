// Inode numbers route themselves: the high bits name the metadata group that holds the inode,
// the low bits come from that group's counter. 13 bits of group and 40 of number keep every
// inode number below 2^53, exact in a JavaScript number (and in a 64-bit st_ino). Bindings that
// carry fewer bits map numbers for the kernel themselves (lib/fuse), never lib/fs.

/** the group id of the root group, which also holds the settings and the partition map */
export const ROOT_GROUP = 0
/** how many inode numbers each group has */
export const GROUP_SPAN = 2 ** 40
/** how many groups a filesystem can have */
export const MAX_GROUPS = 2 ** 13

/** groupOf is the group that holds inode ino */
export function groupOf(ino: number): number {
  return Math.floor(ino / GROUP_SPAN)
}

/** firstIno is the first inode number of group g (the root group starts after the root directory) */
export function firstIno(g: number): number {
  return g * GROUP_SPAN + (g === ROOT_GROUP ? 2 : 1)
}

/** endIno is the first inode number past group g's */
export function endIno(g: number): number {
  return (g + 1) * GROUP_SPAN
}
