// The parent's side of the worker processes (worker.ts): fork them, hand each one a job, wait
// for all of their timings. Workers are killed at teardown if they are still running.
import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { Job, Timing, WorkerMessage } from './job'
import type { Teardown } from './teardown'

export class Workers {
  private constructor(private readonly children: ChildProcess[]) {}

  /** start forks n workers and registers their end with teardown */
  static start(n: number, teardown: Teardown): Workers {
    const workers = new Workers([])
    teardown.add('stop the worker processes', () => workers.stop())
    for (let i = 0; i < n; i++) {
      // no execArgv: a --cpu-prof of the bench profiles the mount, not the workers
      workers.children.push(fork(join(__dirname, 'worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] }))
    }
    return workers
  }

  /** run gives jobs[i] to worker i and resolves with their timings; progress gets the mean fraction done */
  run(jobs: Job[], progress: (fraction: number) => void): Promise<Timing[]> {
    const fractions = jobs.map(() => 0)
    return Promise.all(jobs.map((job, i) => new Promise<Timing>((resolve, reject) => {
      const child = this.children[i]
      const what = `${job.phase} in worker ${i}`
      const onMessage = (m: WorkerMessage) => {
        if (m.type === 'progress') {
          fractions[i] = m.fraction
          progress(fractions.reduce((a, b) => a + b, 0) / fractions.length)
          return
        }
        detach()
        if (m.type === 'done') resolve(m.timing)
        else reject(new Error(`${what}: ${m.message}`))
      }
      const onExit = (code: number | null, signal: string | null) => {
        detach()
        reject(new Error(`${what}: the worker exited (${signal ?? `code ${code}`})`))
      }
      const detach = () => {
        child.off('message', onMessage)
        child.off('exit', onExit)
      }
      if (child.exitCode !== null || child.signalCode !== null) return onExit(child.exitCode, child.signalCode)
      child.on('message', onMessage)
      child.on('exit', onExit)
      child.send(job)
    })))
  }

  /** stop kills the workers that still run and waits until they are gone */
  async stop(): Promise<void> {
    await Promise.all(this.children.map(child => new Promise<void>(done => {
      if (child.exitCode !== null || child.signalCode !== null) return done()
      child.once('exit', () => done())
      child.kill('SIGKILL')
    })))
  }
}
