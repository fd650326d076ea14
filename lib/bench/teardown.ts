// Teardown for the bench: every resource registers how to undo it the moment it is created;
// run() undoes them in reverse order, once, each step bounded in time so that one stuck step
// (a metadata store that no longer answers) cannot keep the others from running. A process
// exit hook lazily detaches any registered mountpoint still mounted, so that no mount
// outlives the bench even when it is killed between steps.
import { execFileSync } from 'node:child_process'
import { constants } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { fusermount, isMounted } from '../fuse/mounts'

const STEP_MS = 20_000

interface Undo {
  what: string
  fn: () => unknown
}

export class Teardown {
  private readonly undo: Undo[] = []
  private readonly mountpoints = new Set<string>()
  private finished?: Promise<string[]>
  private readonly onExit = () => {
    for (const dir of this.mountpoints) {
      if (!isMounted(dir)) continue
      try {
        execFileSync('fusermount', ['-uz', dir], { stdio: 'ignore' })
      } catch {
        /* gone meanwhile */
      }
    }
  }

  constructor() {
    process.on('exit', this.onExit)
  }

  /** add registers how to undo something just created (or about to be) */
  add(what: string, fn: () => unknown): void {
    if (this.finished) throw new Error(`teardown already ran; cannot add '${what}'`)
    this.undo.push({ what, fn })
  }

  /** mountpoint registers dir for the exit hook's last-resort lazy unmount */
  mountpoint(dir: string): void {
    this.mountpoints.add(dir)
  }

  /**
   * exitOnSignal makes SIGINT and SIGTERM run the teardown (after `first`, e.g. erasing a
   * progress bar) and exit 128+signal; a second signal ends the process at once. The result
   * removes the handlers.
   */
  exitOnSignal(first: () => void): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      first()
      process.stderr.write(`meridian: ${signal}: cleaning up\n`)
      void this.run().then(failed => {
        for (const f of failed) process.stderr.write(`meridian: cleanup: ${f}\n`)
        process.exit(128 + constants.signals[signal])
      })
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    return () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }

  /** run undoes everything in reverse order, once; resolves with the steps that failed */
  run(): Promise<string[]> {
    this.finished ??= (async () => {
      const failed: string[] = []
      for (const { what, fn } of this.undo.reverse()) {
        const bounded = Promise.race([
          Promise.resolve().then(fn).then(() => true),
          sleep(STEP_MS, false, { ref: false }),
        ])
        const ok = await bounded.catch((err: unknown) => {
          failed.push(`${what}: ${err instanceof Error ? err.message : String(err)}`)
          return true
        })
        if (!ok) failed.push(`${what}: no answer after ${STEP_MS / 1000} s`)
      }
      for (const dir of this.mountpoints) {
        if (isMounted(dir)) await fusermount(['-uz', dir]).catch(err => failed.push(`detach ${dir}: ${(err as Error).message}`))
      }
      process.off('exit', this.onExit)
      return failed
    })()
    return this.finished
  }
}
