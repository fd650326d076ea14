// The processes a lab started, kept in DIR/lab.json: each is recorded the moment it is spawned,
// so `lab down` finds everything even after a `lab up` that failed half-way. A pid is only ever
// signalled while its command line still names the lab's directory (a recorded pid may have
// been reused by another process since).
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SitePlan } from './sites'

export type ProcessKind = 'etcd' | 'proxy' | 'mount'

export interface ProcessEntry {
  name: string
  kind: ProcessKind
  site?: string
  pid: number
  log: string
  /** for a mount: its directory */
  mnt?: string
}

export interface LabState {
  dir: string
  rttMs: number
  jitterMs: number
  sites: SitePlan[]
  processes: ProcessEntry[]
  /** set once every process is up */
  ready?: boolean
}

export const STATE_FILE = 'lab.json'

export function stateFile(dir: string): string {
  return join(dir, STATE_FILE)
}

export function readState(dir: string): LabState | undefined {
  const file = stateFile(dir)
  if (!existsSync(file)) return undefined
  return JSON.parse(readFileSync(file, 'utf8')) as LabState
}

/** writeState replaces the state file whole (write, then rename), so a reader never sees half */
export function writeState(state: LabState): void {
  const file = stateFile(state.dir)
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n')
  renameSync(`${file}.tmp`, file)
}

/** isOurs: pid is alive and its command line still names the lab's directory */
export function isOurs(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)
  } catch {
    return false
  }
}

export class ProcessTable {
  constructor(readonly state: LabState) {}

  /** start spawns a detached process logging to log, records it and returns its entry */
  start(entry: Omit<ProcessEntry, 'pid'>, command: string, args: string[]): ProcessEntry {
    const out = openSync(entry.log, 'a')
    let pid: number | undefined
    try {
      const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out] })
      child.on('error', () => {})
      child.unref()
      pid = child.pid
    } finally {
      closeSync(out)
    }
    if (pid === undefined) throw new Error(`cannot start ${command} for ${entry.name} (see ${entry.log})`)
    const started = { ...entry, pid }
    this.state.processes.push(started)
    writeState(this.state)
    return started
  }

  alive(entry: ProcessEntry): boolean {
    return isOurs(entry.pid, this.state.dir)
  }

  /** stop sends SIGTERM, then SIGKILL after graceMs; resolves once the process is gone */
  async stop(entry: ProcessEntry, graceMs = 5_000): Promise<void> {
    if (!this.alive(entry)) return
    signal(entry.pid, 'SIGCONT') // a paused process acts on SIGTERM only once continued
    signal(entry.pid, 'SIGTERM')
    const giveUp = Date.now() + graceMs
    while (this.alive(entry) && Date.now() < giveUp) await sleep(50)
    if (!this.alive(entry)) return
    signal(entry.pid, 'SIGKILL')
    while (this.alive(entry)) await sleep(20) // a zombie's command line reads empty: not ours
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch { /* gone already */ }
}
