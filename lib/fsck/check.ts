// fsck: a read-only consistency check of one filesystem's metadata (and, given its pools, of
// the blobs the metadata references). It reads every key of the filesystem page by page and
// changes nothing. Run it on a quiet filesystem: the pages are read at different revisions,
// so changes made during the check can show up as problems.
//
// Problem kinds:
//   bad-key, bad-inode, bad-entry, bad-extent   a key or value that does not decode
//   inode-counter        an inode number at or above its group's next/inode (it would be allocated again)
//   inode-group          an inode in the store of a group its number does not name
//   missing-root         the root directory is missing or not a directory
//   entry-parent         an entry in an inode that is missing or not a directory
//   dangling-entry       an entry naming an inode that does not exist
//   entry-type           an entry whose type bits differ from its inode's
//   orphan               an inode (not the root) that the root does not reach, and no gone/ marker keeps
//   nlink                nlink differs from the entries naming it (directories: 2 + child directories)
//   entries-count        a directory's entry count differs from the entries it holds
//   dir-parent           a directory's parent field differs from the directory whose entry names it
//   dir-names            a directory named by more than one entry (or the root named at all)
//   gone-dangling, gone-linked   a gone/ marker of a missing inode, or of one that still has links
//   chunk-orphan, chunk-not-file   a chunk of an inode that is missing or not a regular file
//   extent-overlap, extent-range, extent-beyond-size   extents unsorted or overlapping, past the
//                        chunk, or past the file's size
//   xattr-orphan         an extended attribute of an inode that does not exist
//   missing-blob         a referenced blob that no pool holds (only with opts.pools)
//   txn-record           a cross-group transaction's record (a transaction that is running, or
//                        one a crash left half done: --repair settles it)
//   intent               a key held by a cross-group transaction (its intent envelope)
// Blobs that no extent references are not problems: a crash between writing data and
// committing metadata leaves them, and GC reclaims them.
import type { PoolDriver } from '../../drivers/driver'
import type { Inode } from '../fs/inode'
import { readSettings } from '../fs/format'
import { firstIno, ROOT_GROUP } from '../fs/ino'
import { Keys } from '../fs/schema'
import type { MetaStore } from '../meta/store'
import { checkBlobs } from './blobs'
import { checkChunks, type BlobRef } from './chunks'
import { checkGone, loadGone } from './gone'
import { loadInodes } from './inodes'
import type { FsckReport, Problem, Report } from './report'
import { scan } from './scan'
import { checkTree, loadEntries, type Names } from './tree'
import { findIntents, findRecords, repair } from '../txn/repair'

export type { FsckReport, Problem } from './report'
export { readSettings } from '../fs/format'

export interface FsckOptions {
  /** the filesystem's pools: check that every referenced blob is in one of them */
  pools?: PoolDriver[]
  /** the stores of its further groups, by group id (the root group is `store`) */
  groups?: Map<number, MetaStore>
  /** repair: settle cross-group transactions a crash left half done before checking */
  repair?: boolean
  /** told as each phase of the check starts: phases done so far, of total */
  onProgress?(done: number, total: number, phase: string): void
}

/**
 * fsck checks the filesystem `name` (its root group in store, its further groups in
 * opts.groups) and reports every inconsistency it finds. Entries in one group may name
 * inodes of another (a partition's top directory), so every group's inodes are loaded first.
 */
export async function fsck(store: MetaStore, name: string, opts: FsckOptions = {}): Promise<FsckReport> {
  const settings = await readSettings(store, name)
  const keys = new Keys(name)
  const problems: Problem[] = []
  const report: Report = p => problems.push(p)
  const groups = new Map<number, MetaStore>([[ROOT_GROUP, store], ...(opts.groups ?? [])])
  // transactions, then per group: inodes, entries, chunks; the tree; the blobs in the pools
  const phases = 2 + 3 * groups.size + (opts.pools ? 1 : 0)
  let phase = 0
  const next = (label: string) => opts.onProgress?.(phase++, phases, label)
  next('transactions')
  const repaired = opts.repair ? await settle(groups, keys) : undefined
  await checkTransactions(groups, keys, report)

  const inodes = new Map<number, Inode>()
  const gone = new Set<number>()
  for (const [id, s] of groups) {
    next(`inodes of group ${id}`)
    const { kv: counter } = await s.get(keys.nextInode())
    await loadInodes(s, keys, id, Number(counter?.value.toString() ?? firstIno(id)), report, inodes)
    await loadGone(s, keys, report, gone)
  }
  let names: Names | undefined
  for (const [id, s] of groups) {
    next(`entries of group ${id}`)
    names = await loadEntries(s, keys, inodes, report, names)
  }
  next('tree')
  checkTree(inodes, names!, gone, keys, report)
  checkGone(gone, inodes, keys, report)
  const blobs = new Map<string, BlobRef>()
  for (const [id, s] of groups) {
    next(`chunks of group ${id}`)
    await checkChunks(s, keys, settings.chunkSize, inodes, report, blobs)
    await checkXattrs(s, keys, inodes, report)
  }
  if (opts.pools) {
    next('blobs in the pools')
    await checkBlobs(blobs, opts.pools, report)
  }
  opts.onProgress?.(phases, phases, 'done')
  return { ok: problems.length === 0, problems, inodes: inodes.size, entries: names!.count, blobs: blobs.size, repaired }
}

/** settle resolves every cross-group transaction record and intent in every group (lib/txn's repair) */
async function settle(groups: Map<number, MetaStore>, keys: Keys): Promise<number> {
  const byName = new Map([...groups].map(([id, s]) => [String(id), s]))
  const r = await repair(name => byName.get(name)!, [...byName.keys()], { prefix: keys.prefix, recordPrefix: keys.txns() })
  return r.records.length + r.intents.length
}

/** checkTransactions reports the cross-group transaction records and intents still in the groups */
async function checkTransactions(groups: Map<number, MetaStore>, keys: Keys, report: Report): Promise<void> {
  for (const [id, s] of groups) {
    for (const { key, record } of await findRecords(s, keys.txns())) {
      report({ kind: 'txn-record', key, detail: `group ${id}: cross-group transaction ${record.txid} is ${record.state} (fsck --repair settles it)` })
    }
    for (const intent of await findIntents(s, keys.prefix)) {
      report({ kind: 'intent', key: intent.key.toString(), detail: `group ${id}: held by cross-group transaction ${intent.txid} (fsck --repair settles it)` })
    }
  }
}

/** checkXattrs reports extended attributes whose inode does not exist. */
async function checkXattrs(store: MetaStore, keys: Keys, inodes: Map<number, Inode>, report: Report): Promise<void> {
  for await (const kv of scan(store, keys.section('x'))) {
    const parts = keys.parse('x', kv.key)
    if (!parts || parts.rest === '') report({ kind: 'bad-key', key: kv.key.toString(), detail: 'not an xattr key' })
    else if (!inodes.has(parts.ino)) report({ kind: 'xattr-orphan', key: kv.key.toString(), ino: parts.ino, detail: `xattr '${parts.rest}' of inode ${parts.ino}, which does not exist` })
  }
}
