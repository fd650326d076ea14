// The operations of the geo benchmark, as one site's mount sees them. Each kind has a setup
// (not measured) and an op (measured) for the i-th repetition:
//   read-local      read a 1 KiB file of the site's own partition (open, read, close)
//   create-local    create an empty file in the site's partition
//   write-local     write 1 KiB over one of those files (open, truncate, write, close)
//   create-global   create an empty file in the shared partition (the global group)
//   write-global    write 1 KiB over one of those
//   rename-cross    move a file of the site's partition into the next site's partition
//   stat-causal     stat a file another site has just written in the shared partition, once
//                   this site's member of the global group has applied that write
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const KINDS = ['read-local', 'create-local', 'write-local', 'create-global', 'write-global', 'rename-cross', 'stat-causal'] as const
export type Kind = typeof KINDS[number]
export const LOCAL_KINDS: Kind[] = ['read-local', 'create-local', 'write-local']

const KIB = Buffer.alloc(1024, 'm')

/** where a site works: its mount, its partition, and the partition its renames go to */
export interface SiteView {
  site: string
  mnt: string
  /** the partition renames move into: the next site's, or the shared root with one site */
  renameTo: string
  /** another site's mount that writes the files stat-causal looks at (this one's with one site) */
  writerMnt: string
  /** waits until this site's member of the global group has applied everything committed so far */
  caughtUp(): Promise<void>
}

export interface KindRun {
  setup(): Promise<void>
  /** the i-th measured operation; `before` runs first, unmeasured (for stat-causal: the other site's write) */
  before?(i: number): Promise<void>
  op(i: number): Promise<void>
}

/** runFor gives the setup and op of kind in a site; round names this run's files apart from others */
export function runFor(kind: Kind, v: SiteView, round: string): KindRun {
  const local = join(v.mnt, v.site, `bench-${round}`)
  const global = join(v.mnt, `bench-${v.site}-${round}`)
  const made = (dir: string) => () => mkdir(dir, { recursive: true }).then(() => undefined)
  switch (kind) {
    case 'read-local':
      return { setup: () => made(local)().then(() => writeFile(join(local, 'read'), KIB)), op: () => readFile(join(local, 'read')).then(() => undefined) }
    case 'create-local':
      return { setup: made(local), op: i => writeFile(join(local, `f${i}`), '', { flag: 'wx' }) }
    case 'write-local':
      return { setup: made(local), op: i => writeFile(join(local, `f${i}`), KIB) }
    case 'create-global':
      return { setup: made(global), op: i => writeFile(join(global, `f${i}`), '', { flag: 'wx' }) }
    case 'write-global':
      return { setup: made(global), op: i => writeFile(join(global, `f${i}`), KIB) }
    case 'rename-cross': {
      const to = join(v.mnt, v.renameTo, `moved-${v.site}-${round}`)
      return { setup: () => made(local)().then(made(to)), op: i => rename(join(local, `f${i}`), join(to, `f${i}`)) }
    }
    case 'stat-causal': {
      const written = (m: string) => join(m, `fresh-${v.site}-${round}`)
      return {
        setup: made(written(v.writerMnt)),
        before: async i => {
          await writeFile(join(written(v.writerMnt), `f${i}`), KIB)
          await v.caughtUp()
        },
        op: i => stat(join(written(v.mnt), `f${i}`)).then(() => undefined),
      }
    }
  }
}
