// `lab down`: stop every process a lab recorded, by pid (mounts first, so they unmount while
// their groups still answer; then etcd; then the link proxy), take off any mount left behind,
// and remove the lab's files. Works on the state of a `lab up` that failed half-way.
import { rmSync } from 'node:fs'
import { ConfigError } from '../errors'
import { isMounted, unmountDir } from '../fuse'
import { ProcessTable, readState, stateFile, type ProcessKind } from './process-table'
import { mountDir } from './layout'

export interface TeardownReport {
  dir: string
  stopped: Array<{ name: string; pid: number }>
  unmounted: string[]
}

const ORDER: ProcessKind[] = ['mount', 'etcd', 'proxy']
/** how long each kind may take to stop after SIGTERM: a stopping etcd leader spends seconds handing over to peers that stop too */
const GRACE_MS: Record<ProcessKind, number> = { mount: 10_000, etcd: 1_000, proxy: 2_000 }

/** teardown stops a lab; keepFiles leaves its logs and data (after a failed up, to read them) */
export async function teardown(dir: string, opts: { keepFiles?: boolean } = {}): Promise<TeardownReport> {
  const state = readState(dir)
  if (!state) throw new ConfigError('dir', `no lab in ${dir} (no ${stateFile(dir)})`)
  const table = new ProcessTable(state)
  const report: TeardownReport = { dir: state.dir, stopped: [], unmounted: [] }
  for (const kind of ORDER) {
    const entries = state.processes.filter(p => p.kind === kind && table.alive(p))
    await Promise.all(entries.map(p => table.stop(p, GRACE_MS[kind])))
    report.stopped.push(...entries.map(p => ({ name: p.name, pid: p.pid })))
    if (kind !== 'mount') continue
    // a mount whose process died without unmounting leaves a dead mountpoint: take it off
    for (const site of state.sites) {
      const mnt = mountDir(state.dir, site.name)
      if (!isMounted(mnt)) continue
      await unmountDir(mnt, { lazy: true })
      report.unmounted.push(mnt)
    }
  }
  rmSync(stateFile(state.dir), { force: true })
  if (!opts.keepFiles) rmSync(state.dir, { recursive: true, force: true })
  return report
}
