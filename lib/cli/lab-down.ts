// meridian lab down: stop every process a lab started, by pid, unmount, and remove its files.
import { Command } from 'commander'
import { teardown, type TeardownReport } from '../lab/teardown'
import { labDir } from './lab-status'
import { print } from './run'

export interface LabDownOptions {
  dir?: string
  keep?: boolean
  json?: boolean
}

export function labDown(opts: LabDownOptions): Promise<TeardownReport> {
  return teardown(labDir(opts.dir), { keepFiles: opts.keep })
}

export function labDownCommand(): Command {
  return new Command('down')
    .description('stop every process of the lab (by the pids it recorded), unmount, remove its files')
    .option('--dir <dir>', 'the lab (default ~/.meridian/lab)')
    .option('--keep', 'keep the logs and data')
    .option('--json', 'print JSON')
    .action(async (opts: LabDownOptions) => {
      const r = await labDown(opts)
      print(opts.json, { ...r }, `meridian: lab in ${r.dir} down: stopped ${r.stopped.map(p => `${p.name} (${p.pid})`).join(', ') || 'nothing'}` +
        (r.unmounted.length ? `; unmounted ${r.unmounted.join(', ')}` : ''))
    })
}
