// meridian pool test: the non-destructive part of the driver contract against a live pool.
// It writes one probe blob of its own, reads it back (whole and by range), lists, deletes it,
// and touches nothing else. Exit 1 when any step fails.
import { Command } from 'commander'
import { createHash, randomBytes } from 'node:crypto'
import type { PoolDriver } from '../../drivers/driver'
import { findPool, openDriver, withCommonOptions, withPlacement, type PlacementCliOptions } from './placement-session'
import { print } from './run'

export interface Check {
  step: string
  ok: boolean
  detail?: string
}

async function steps(driver: PoolDriver): Promise<Check[]> {
  const data = randomBytes(64 * 1024)
  const id = 'sha256-' + createHash('sha256').update(data).digest('hex')
  const checks: Check[] = []
  const step = async (name: string, fn: () => Promise<boolean>) => {
    try {
      checks.push({ step: name, ok: await fn() })
    } catch (err) {
      checks.push({ step: name, ok: false, detail: (err as Error).message })
    }
  }
  await step('probe blob absent before put', async () => !(await driver.has(id)))
  await step('put', async () => { await driver.put(id, data); await driver.sync(); return true })
  await step('get returns the same bytes', async () => (await driver.get(id)).equals(data))
  await step('get of a byte range', async () => (await driver.get(id, { offset: 1000, length: 100 })).equals(data.subarray(1000, 1100)))
  await step('has', async () => driver.has(id))
  await step('list includes the probe', async () => { for await (const x of driver.list()) if (x === id) return true; return false })
  await step('usage', async () => (await driver.usage()).totalBytes > 0)
  await step('delete', async () => { await driver.delete(id); return !(await driver.has(id)) })
  await step('get of a missing blob is ENOENT', async () => driver.get(id).then(() => false, err => (err as { code?: string }).code === 'ENOENT'))
  return checks
}

export async function poolTest(name: string, opts: PlacementCliOptions): Promise<{ pool: string; ok: boolean; checks: Check[] }> {
  return withPlacement(opts, async placement => {
    const pool = findPool((await placement.load()).pools, name, 'name')
    const driver = await openDriver(pool)
    try {
      const checks = await steps(driver)
      return { pool: name, ok: checks.every(c => c.ok), checks }
    } finally {
      await driver.close()
    }
  })
}

export function poolTestCommand(): Command {
  return withCommonOptions(new Command('test'))
    .description('run the non-destructive part of the driver contract against a live pool (one probe blob, deleted after)')
    .argument('<name>', 'pool name')
    .action(async (name: string, opts: PlacementCliOptions) => {
      const r = await poolTest(name, opts)
      const lines = r.checks.map(c => `${c.ok ? 'pass' : 'FAIL'}  ${c.step}${c.detail ? ` (${c.detail})` : ''}`)
      print(opts.json, r, [`pool '${r.pool}': ${r.ok ? 'passed' : 'FAILED'}`, ...lines].join('\n'))
      if (!r.ok) process.exitCode = 1
    })
}
