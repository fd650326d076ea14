// A bench worker process (forked by workers.ts): runs the phases the parent sends over IPC,
// one at a time, against a directory or raw etcd, and answers each with its timing. It serves
// no mount, so its system calls are synchronous, as a C benchmark's would be. It exits when
// the parent goes away.
import { openStore, type MetaStore } from '../meta'
import { now, type Job, type PhaseArgs, type PhaseName, type Progress, type Timing, type WorkerMessage } from './job'
import { metaPhase, posixNames, type NameOps } from './meta-ops'
import { randomPrepare, randomRead, randomWrite } from './random-io'
import { etcdNames } from './raw-etcd'
import { bigRead, bigWrite } from './seq'
import { smallCreate, smallRead, smallStat, smallUnlink } from './small-files'

const PROGRESS_EVERY_MS = 200

const fileAndData: Partial<Record<PhaseName, (dir: string, a: PhaseArgs, progress: Progress) => Timing>> = {
  'big-write': bigWrite,
  'big-read': bigRead,
  'small-create': smallCreate,
  'small-read': smallRead,
  'small-stat': smallStat,
  'small-unlink': smallUnlink,
  'random-prepare': randomPrepare,
  'random-write': randomWrite,
  'random-read': randomRead,
}

// the raw etcd names keep this worker's map of what it made from phase to phase
const stores = new Map<string, Promise<MetaStore>>()
const etcd = new Map<string, NameOps>()

function send(message: WorkerMessage): void {
  process.send?.(message)
}

/** throttled reports progress to the parent at most every PROGRESS_EVERY_MS */
function throttled(): Progress {
  let last = now()
  return (done, total) => {
    if (now() - last < PROGRESS_EVERY_MS) return
    last = now()
    send({ type: 'progress', fraction: total > 0 ? done / total : 1 })
  }
}

async function names(job: Job): Promise<NameOps> {
  const t = job.target
  if (t.kind === 'posix') return posixNames(t.dir)
  let ops = etcd.get(t.fsName)
  if (!ops) {
    if (!stores.has(t.url)) stores.set(t.url, openStore(t.url))
    ops = etcdNames(await stores.get(t.url)!, t.fsName, job.k)
    etcd.set(t.fsName, ops)
  }
  return ops
}

async function run(job: Job): Promise<Timing> {
  if (job.phase.startsWith('meta-')) return metaPhase(await names(job), job, throttled())
  const fn = fileAndData[job.phase]
  if (!fn || job.target.kind !== 'posix') throw new Error(`phase ${job.phase} does not run on ${job.target.kind}`)
  return fn(job.target.dir, job.args, throttled())
}

process.on('message', (job: Job) => {
  run(job).then(
    timing => send({ type: 'done', timing }),
    (err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  )
})
process.on('disconnect', () => process.exit(0))
