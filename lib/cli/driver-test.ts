// meridian driver-test MODULE: the whole driver contract (lib/driver-contract) against a driver
// loaded by npm package name or path (or a built-in one), opened afresh for every case from
// the --opt options. It writes blobs of its own into the pool the options name and deletes them
// after each case; point it at a scratch directory or bucket, not at a live pool (`pool test`
// is the non-destructive subset for those). Prints a pass/fail table; exit 1 when a case fails.
import { Command } from 'commander'
import { openPool } from '../../drivers'
import { runContract, type CaseResult } from '../driver-contract/run'
import { collect, driverConfig } from './pool-add'
import { print } from './run'

export interface DriverTestOptions {
  opt?: string[]
  json?: boolean
}

export interface DriverTestReport {
  module: string
  driver: string
  ok: boolean
  cases: CaseResult[]
}

export async function driverTest(module: string, opts: DriverTestOptions): Promise<DriverTestReport> {
  const config = driverConfig(module, opts.opt)
  // options the driver refuses fail here, once and as one line, rather than in every case
  await (await openPool(config)).close()
  const cases = await runContract(() => openPool(config))
  return { module, driver: config.driver, ok: cases.every(c => c.ok), cases }
}

function row(r: CaseResult): string {
  const head = `${r.ok ? 'pass' : 'FAIL'}  ${r.name} (${r.ms} ms)`
  return [head, ...r.failures.map(f => `        ${f}`)].join('\n')
}

export function table(r: DriverTestReport): string {
  const failed = r.cases.filter(c => !c.ok).length
  return [
    `driver '${r.driver}' from ${r.module}`,
    ...r.cases.map(row),
    r.ok ? `passed: all ${r.cases.length} cases` : `FAILED: ${failed} of ${r.cases.length} cases`,
  ].join('\n')
}

export function driverTestCommand(): Command {
  return new Command('driver-test')
    .description('run the whole pool driver contract against a driver (npm package, path, or local/s3) in a scratch pool the options name')
    .argument('<module>', 'an npm package name, a path (absolute or starting with ./), or a built-in driver')
    .option('--opt <key=value>', 'a driver option, repeatable (as for pool add)', collect)
    .option('--json', 'print JSON')
    .action(async (module: string, opts: DriverTestOptions) => {
      const r = await driverTest(module, opts)
      print(opts.json, { ...r }, table(r))
      if (!r.ok) process.exitCode = 1
    })
}
