// meridian conformance DIR [--reference DIR2] [--cases FILE] [--json]: the project's POSIX
// table (lib/conformance), and the user's cases, run against any directory (a Meridian mount,
// another filesystem), optionally beside a reference directory; a table by operation with the
// errno each case expected and saw. Exit 1 when a case failed in DIR.
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { conformance, loadUserCases, table, type ConformanceReport } from '../conformance'
import { ConfigError } from '../errors'
import { progress, progressMode, type ProgressMode } from '../progress'
import { print } from './run'

export interface ConformanceCliOptions {
  reference?: string
  cases?: string
  json?: boolean
  progress?: ProgressMode
}

/** directory checks that field names a directory cases can be made in */
async function directory(field: string, dir: string): Promise<string> {
  const at = resolve(dir)
  const st = await stat(at).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(field, `${at}: ${err.code ?? err.message}`)
  })
  if (!st.isDirectory()) throw new ConfigError(field, `${at} is not a directory`)
  // each case makes (and removes) its own subdirectory: prove that works before the first
  const probe = await mkdtemp(`${at}/conformance-probe-`).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(field, `cannot make a directory in ${at}: ${err.code ?? err.message}`)
  })
  await rm(probe, { recursive: true, force: true })
  return at
}

/** runConformance checks the options, then runs every case */
export async function runConformance(dir: string, opts: ConformanceCliOptions): Promise<ConformanceReport> {
  const at = await directory('dir', dir)
  const reference = opts.reference === undefined ? undefined : await directory('reference', opts.reference)
  const extra = opts.cases === undefined ? undefined : { file: opts.cases, cases: await loadUserCases(opts.cases) }
  const bar = progress('conformance', 'cases', opts.progress ?? 'off')
  try {
    return await conformance(at, { reference, extra, onCase: (done, total, name) => { bar.total(total); bar.update(done, name) } })
  } finally {
    bar.stop()
  }
}

export function conformanceCommand(): Command {
  return new Command('conformance')
    .description('run the POSIX conformance table (and your own cases) against a directory, optionally beside a reference directory; exit 1 if a case fails')
    .argument('<dir>', 'the directory to test: each case runs in a fresh subdirectory of it, removed after')
    .option('--reference <dir>', 'also run every case in this directory (e.g. on a local disk): a case it fails is a wrong case, or a limit of the machine')
    .option('--cases <file>', 'more cases, YAML or JSON, of the shape docs/conformance.md shows')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: ConformanceCliOptions) => {
      const r = await runConformance(dir, { ...opts, progress: progressMode(opts.json) })
      print(opts.json, { ...r }, table(r))
      if (r.failed > 0) process.exitCode = 1
    })
}
