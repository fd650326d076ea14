// meridian gc: delete from every pool the blobs no file references, once they have been
// unreferenced for the grace period (lib/replicator/gc.ts says how that is measured).
import { Command } from 'commander'
import { ConfigError } from '../errors'
import { progress, progressMode, type ProgressMode } from '../progress'
import { collectGarbage, type GcReport } from '../replicator/gc'
import { openDrivers, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export interface GcOptions extends PlacementCliOptions {
  dryRun?: boolean
  /** e.g. 1h, 30m, 90s, 0 */
  grace?: string
  /** how progress shows on stderr (default: not at all) */
  progress?: ProgressMode
}

const UNIT_MS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseDuration(field: string, text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim())
  if (!m) throw new ConfigError(field, `'${text}' is not a duration (e.g. 1h, 30m, 90s)`)
  return Number(m[1]) * UNIT_MS[m[2]]
}

export async function gc(opts: GcOptions): Promise<GcReport> {
  const graceMs = parseDuration('grace', opts.grace ?? '1h')
  return withPlacement(opts, async (placement, store) => {
    const drivers = await openDrivers((await placement.load()).pools)
    // a pool that does not answer may hold references' only copies elsewhere: gc needs them all
    if (drivers.failed.size > 0) {
      await drivers.close()
      const [name, why] = [...drivers.failed][0]
      throw new ConfigError(`pool ${name}`, `unreachable, gc needs every pool: ${why}`)
    }
    const bar = progress('gc', 'unreferenced blobs', opts.progress ?? 'off')
    try {
      return await collectGarbage(store, placement.fsName, drivers.open, {
        graceMs, dryRun: opts.dryRun,
        onProgress: (done, total) => { bar.total(total); bar.update(done) },
      })
    } finally {
      bar.stop()
      await drivers.close()
    }
  })
}

export function gcCommand(): Command {
  return withCommonOptions(new Command('gc'))
    .description('delete blobs no file references from every pool, once unreferenced for the grace period')
    .option('--dry-run', 'report what would be deleted, delete and record nothing')
    .option('--grace <duration>', 'how long a blob must have been unreferenced (default 1h)')
    .action(async (opts: GcOptions) => {
      const r = await gc({ ...opts, progress: progressMode(opts.json) })
      print(opts.json, { ...r }, `${r.dryRun ? 'would delete' : 'deleted'} ${r.deleted} unreferenced blobs (${r.copies} copies); ` +
        `${r.unreferenced} unreferenced in all, ${r.recorded} seen for the first time (deleted after the grace period)`)
    })
}
