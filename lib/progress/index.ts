// The progress of long work (gc, fsck, replicate --once, bench, pool scan, conformance), one
// module for every command: a bar on a terminal (cli-progress, on stderr), plain lines on
// stderr otherwise (a log, CI), nothing for programs (--json). A count of unknown total (a
// pool being listed) shows as a counter.
import { Presets, SingleBar } from 'cli-progress'

export type ProgressMode = 'bar' | 'lines' | 'off'

export interface Progress {
  /** total sets how many units the work has (undefined: not known, only counted) */
  total(n: number | undefined): void
  /** update moves to done units (a fraction within a unit too), naming what runs now */
  update(done: number, label?: string): void
  /** stop ends the bar (without a terminal: a last line); idempotent */
  stop(): void
}

/** how often plain lines are written, at most */
const LINE_EVERY_MS = 2_000

/** progressMode: a bar on a terminal, lines otherwise, nothing when the output is for a program */
export function progressMode(json: boolean | undefined, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  return json ? 'off' : stream.isTTY ? 'bar' : 'lines'
}

/** progress reports the work `what` (e.g. 'gc') counted in units (e.g. 'blobs'); lines go to out */
export function progress(what: string, unit: string, mode: ProgressMode, out: NodeJS.WritableStream = process.stderr): Progress {
  if (mode === 'bar') return new Bar(what, unit)
  if (mode === 'lines') return new Lines(what, unit, out)
  return { total: () => undefined, update: () => undefined, stop: () => undefined }
}

class Bar implements Progress {
  private bar?: SingleBar
  private known?: number

  constructor(private readonly what: string, private readonly unit: string) {}

  total(n: number | undefined): void {
    this.known = n
    if (this.bar) return this.bar.setTotal(n ?? 0)
    const counted = ` ${this.what}: {value} ${this.unit} | {duration_formatted} {label}`
    const barred = ` ${this.what} {bar} {percentage}% | {value}/{total} ${this.unit} | {duration_formatted} | {label}`
    this.bar = new SingleBar({ format: n === undefined ? counted : barred, hideCursor: true, clearOnComplete: true, formatValue: (v, _o, type) => String(type === 'value' ? Math.floor(v) : v) }, Presets.shades_classic)
    this.bar.start(n ?? 0, 0, { label: '' })
  }

  update(done: number, label?: string): void {
    if (!this.bar) this.total(this.known)
    // whole units in the count; the bar itself moves by fractions
    this.bar!.update(done, label === undefined ? {} : { label })
  }

  stop(): void {
    this.bar?.stop()
    this.bar = undefined
  }
}

class Lines implements Progress {
  private known?: number
  private done = 0
  private label = ''
  private started?: number
  private lastLine = 0
  private stopped = false

  constructor(private readonly what: string, private readonly unit: string, private readonly out: NodeJS.WritableStream) {}

  total(n: number | undefined): void {
    this.known = n
    this.started ??= Date.now()
  }

  update(done: number, label?: string): void {
    this.started ??= Date.now()
    this.done = done
    if (label !== undefined) this.label = label
    if (Date.now() - this.lastLine >= LINE_EVERY_MS) this.line('')
  }

  stop(): void {
    if (this.stopped || this.started === undefined) return
    this.stopped = true
    this.line(` in ${((Date.now() - this.started) / 1000).toFixed(1)} s`)
  }

  private line(suffix: string): void {
    this.lastLine = Date.now()
    const count = this.known === undefined ? `${Math.floor(this.done)} ${this.unit}`
      : `${Math.floor(this.done)}/${this.known} ${this.unit} (${this.known ? Math.floor((100 * this.done) / this.known) : 100}%)`
    this.out.write(`meridian ${this.what}: ${count}${this.label ? ` ${this.label}` : ''}${suffix}\n`)
  }
}
