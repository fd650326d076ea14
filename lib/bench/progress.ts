// The progress bar on stderr (cli-progress; drawn only on a terminal): one unit per step of
// every target, moved within a step by the workers' own progress.
import { Presets, SingleBar } from 'cli-progress'

export class ProgressBar {
  private readonly bar?: SingleBar
  private done = 0
  private running = false

  constructor(enabled: boolean) {
    if (!enabled) return
    this.bar = new SingleBar({
      format: ' {bar} {percentage}% | {duration_formatted} | {step}',
      hideCursor: true,
      clearOnComplete: true,
    }, Presets.shades_classic)
  }

  /** start draws the bar for total steps */
  start(total: number): void {
    this.bar?.start(total, 0, { step: '' })
    this.running = this.bar !== undefined
  }

  /** step names the step now running */
  step(label: string): void {
    this.bar?.update(this.done, { step: label })
  }

  /** within moves the bar inside the running step (fraction 0..1) */
  within(fraction: number): void {
    this.bar?.update(this.done + Math.min(1, fraction))
  }

  /** next counts the running step as done */
  next(): void {
    this.bar?.update(++this.done)
  }

  /** stop erases the bar; idempotent */
  stop(): void {
    if (this.running) this.bar?.stop()
    this.running = false
  }
}
