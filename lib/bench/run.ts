// meridian bench's orchestration: make a scratch directory, set up the targets (two Meridian
// mounts served by this process, one per FUSE binding, the local disk, bindfs, and raw etcd when Meridian runs on
// etcd), run every step of the plan on each target in worker processes, and collect the
// figures. This process never touches the mounts itself beyond mounting and unmounting. All
// that is created is registered with the teardown as it is created, and undone at the end,
// on failure and on Ctrl-C.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fuseMounts } from '../fuse/mounts'
import { progress, type ProgressMode } from '../progress'
import { now, type Job } from './job'
import { bindfsTarget } from './bindfs'
import { meridianTarget } from './meridian-target'
import { fileSteps, metaSteps, type Sizes, type Step } from './plan'
import { countsSince, figure, machine, withRatios, type BenchReport, type ReportRow } from './report'
import { etcdTarget, localTarget, type Target } from './targets'
import { Teardown } from './teardown'
import { Workers } from './workers'

export interface BenchOptions extends Sizes {
  /** the directory the scratch directory is made in: the local disk that is measured */
  dir: string
  /** the Meridian mount's metadata store; default a fresh embedded store in the scratch directory */
  meta?: string
  /** how progress shows on stderr: one unit per step of every target */
  progress: ProgressMode
}

/** removeScratch removes the scratch directory, unless something is still mounted inside it */
async function removeScratch(root: string): Promise<void> {
  const inside = fuseMounts().filter(m => m.dir.startsWith(`${root}/`))
  if (inside.length > 0) throw new Error(`left ${root} in place: ${inside.map(m => m.dir).join(', ')} still mounted`)
  await rm(root, { recursive: true, force: true })
}

/** jobs are the step's jobs for its workers: all of them, or the first alone */
function jobs(step: Step, target: Target, procs: number): Job[] {
  return Array.from({ length: step.all ? procs : 1 }, (_, k) => ({ phase: step.phase, target: target.spec, args: step.args, k }))
}

/** bench runs every workload on every target and reports the figures */
export async function bench(o: BenchOptions): Promise<BenchReport> {
  const started = now()
  const teardown = new Teardown()
  const bar = progress('bench', 'steps', o.progress)
  let done = 0
  const quiet = teardown.exitOnSignal(() => bar.stop())
  try {
    const root = await mkdtemp(join(o.dir, 'meridian-bench-'))
    teardown.add('remove the scratch directory', () => removeScratch(root))
    const meridian = await meridianTarget(root, o.meta, teardown, 'lowlevel')
    const fuseNative = await meridianTarget(root, o.meta, teardown, 'fuse-native')
    const targets: Target[] = [meridian, fuseNative, await localTarget(root), await bindfsTarget(root, teardown)]
    if (meridian.store.engine === 'etcd') {
      targets.push(etcdTarget(meridian.url, meridian.store, `bench-raw-${randomUUID().slice(0, 8)}`, teardown))
    }
    const plans = targets.map(target => ({ target, steps: target.name === 'etcd' ? metaSteps(o) : fileSteps(o) }))
    const rows = new Map<string, ReportRow>(fileSteps(o).flatMap(s => (s.row ? [[s.row.id, { ...s.row, figures: {}, ratios: {} }]] : [])))
    const cold: BenchReport['cold'] = {}

    bar.total(plans.reduce((n, p) => n + p.steps.length, 0))
    const workers = new Map(plans.map(({ target }) => [target, Workers.start(o.procs, teardown)]))
    // step by step, each on every target in turn: the disk and the machine drift during a run,
    // and a reference measured minutes after Meridian would compare different machines
    for (const step of fileSteps(o)) {
      for (const { target, steps } of plans) {
        if (!steps.some(s => s.phase === step.phase)) continue
        bar.update(done, `${target.name}: ${step.row?.label ?? step.phase}`)
        if (step.cold) cold[target.name] = await target.cool()
        const before = target.counts?.()
        const storeBefore = target.storeCounts?.()
        const timings = await workers.get(target)!.run(jobs(step, target, o.procs), f => bar.update(done + Math.min(1, f)))
        const row = step.row && rows.get(step.row.id)
        if (row) {
          row.figures[target.name] = figure(row.unit, timings)
          if (before) (row.fuseOps ??= {})[target.name] = countsSince(before, target.counts!())
          if (storeBefore) (row.storeOps ??= {})[target.name] = countsSince(storeBefore, target.storeCounts!())
        }
        bar.update(++done)
      }
    }
    for (const w of workers.values()) await w.stop()
    bar.stop()
    const { engine } = meridian.store
    return {
      engine, meta: meridian.url, sizes: pick(o), machine: machine(), cold,
      rows: [...rows.values()].map(withRatios), seconds: (now() - started) / 1000,
    }
  } finally {
    bar.stop()
    const failed = await teardown.run()
    quiet()
    // reported, not thrown: an error of the run itself must not be replaced by its cleanup's
    for (const f of failed) process.stderr.write(`meridian: cleanup: ${f}\n`)
    if (failed.length > 0) process.exitCode = 1
  }
}

/** pick keeps the sizes of the options, for the report */
function pick(o: Sizes): Sizes {
  const { bigSize, smallCount, metaCount, procs, randomSize, randomOps } = o
  return { bigSize, smallCount, metaCount, procs, randomSize, randomOps }
}
