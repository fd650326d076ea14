// meridian info PATH: what one file or directory is in the stores: its inode and the group
// holding it, its attributes, its chunks (each an extent list over blobs), and for each blob
// where its copies are (explain.ts says why they should be where they should).
import { Command } from 'commander'
import type { Extent } from '../data/extent'
import { S_IFMT } from '../fs/inode'
import { readSettings } from '../fs/format'
import { ruleFor } from '../placement/policy'
import { placeBlobs, withFile, type BlobPlacement } from './explain'
import { blobsOf, chunksOf } from './fs-walk'
import { withCommonOptions, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export interface Info {
  path: string
  ino: number
  group: string
  type: string
  mode: string
  uid: number
  gid: number
  nlink: number
  size: number
  mtime: string
  chunks: Array<{ index: number; extents: Extent[] }>
  blobs: BlobPlacement[]
  /** pools that did not answer: their copies are unknown */
  unreachable: string[]
}

const TYPES: Record<number, string> = { 0o040000: 'directory', 0o100000: 'regular file', 0o120000: 'symbolic link', 0o010000: 'fifo', 0o020000: 'character device', 0o060000: 'block device', 0o140000: 'socket' }

export function info(path: string, opts: PlacementCliOptions): Promise<Info> {
  return withFile(path, opts, async ({ at, stores, keys, config, store, fsName }) => {
    const { chunkSize } = await readSettings(store, fsName)
    const chunks = await chunksOf(stores, keys, at)
    const { blobs, unreachable } = await placeBlobs(store, fsName, config, ruleFor(at.path, config.rules)!.policy, blobsOf(chunks, chunkSize))
    const i = at.inode
    return {
      path: at.path, ino: at.ino, group: await stores.name(at.group), type: TYPES[i.mode & S_IFMT] ?? 'unknown',
      mode: (i.mode & 0o7777).toString(8).padStart(4, '0'), uid: i.uid, gid: i.gid, nlink: i.nlink, size: i.size,
      mtime: new Date(i.mtimeMs).toISOString(), chunks, blobs, unreachable,
    }
  })
}

function human(r: Info): string {
  const lines = [
    `${r.path}: ${r.type}, inode ${r.ino} in group ${r.group}`,
    `  mode ${r.mode}, uid ${r.uid}, gid ${r.gid}, ${r.nlink} link(s), ${r.size} bytes, modified ${r.mtime}`,
  ]
  const where = new Map(r.blobs.map(b => [b.blob, b]))
  for (const c of r.chunks) {
    lines.push(`  chunk ${c.index}: ${c.extents.length} extent(s)`)
    for (const e of c.extents) {
      const b = where.get(e.blob)
      const copies = b ? `on ${b.copies.join(',') || 'no pool'}${b.copy.length > 0 ? `; missing on ${b.copy.join(',')}` : ''}` : ''
      lines.push(`    bytes ${e.off}+${e.len}  ${e.blob.slice(0, 19)}…@${e.boff}  ${copies}`)
    }
  }
  if (r.unreachable.length > 0) lines.push(`  unreachable pools: ${r.unreachable.join(', ')}`)
  return lines.join('\n')
}

export function infoCommand(): Command {
  return withCommonOptions(new Command('info'))
    .description('a file or directory in the stores: inode, group, attributes, chunks, and where each blob\'s copies are')
    .argument('<path>', 'path in the filesystem, e.g. /eu/report.pdf')
    .action(async (path: string, opts: PlacementCliOptions) => {
      const r = await info(path, opts)
      print(opts.json, { ...r }, human(r))
    })
}
