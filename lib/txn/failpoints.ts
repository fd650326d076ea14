// Failpoints for crash tests: MERIDIAN_FAILPOINTS=name=crash,name2=delay:50 makes
// `await failpoint(name)` kill this process at once (SIGKILL to itself: no exit handlers, no
// flushing, nothing after it runs) or pause there; name3=on switches a behaviour on where the
// code asks `failpointOn(name3)` (the metadata engines' "commit applied, reply lost"). The variable is read again whenever it
// changes, so an in-process test may set it between cases. docs/metadata-groups.md lists
// every name; FAILPOINTS below builds them.
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError } from '../errors'

type Action = { kind: 'crash' } | { kind: 'delay'; ms: number } | { kind: 'on' }

/** The failpoints of the cross-group protocol (group-specific ones end with the group's name). */
export const FAILPOINTS = {
  afterRecord: 'xgroup.after-record',
  afterPrepare: (group: string) => `xgroup.after-prepare.${group}`,
  afterRollback: (group: string) => `xgroup.after-rollback.${group}`,
  afterCommit: 'xgroup.after-commit',
  afterApply: (group: string) => `xgroup.after-apply.${group}`,
  afterClear: 'xgroup.after-clear',
  resolveAfterAbort: 'xgroup.resolve.after-abort',
  resolveAfterSettle: (group: string) => `xgroup.resolve.after-settle.${group}`,
  resolveAfterClear: 'xgroup.resolve.after-clear',
  /** every metadata transaction that writes is applied, its reply dropped, and the request sent again (docs/reliability.md) */
  replyLost: 'meta.txn.reply-lost',
}

let parsedFrom: string | undefined
let table = new Map<string, Action>()

function parse(spec: string): Map<string, Action> {
  const actions = new Map<string, Action>()
  for (const item of spec.split(',').map(s => s.trim()).filter(Boolean)) {
    const [name, action] = item.split('=')
    const delay = /^delay:(\d+)$/.exec(action ?? '')
    if (!name || !(action === 'crash' || action === 'on' || delay)) {
      throw new ConfigError('MERIDIAN_FAILPOINTS', `'${item}' is not name=crash, name=delay:<ms> or name=on`)
    }
    actions.set(name, delay ? { kind: 'delay', ms: Number(delay[1]) } : { kind: action as 'crash' | 'on' })
  }
  return actions
}

function actions(): Map<string, Action> {
  const spec = process.env.MERIDIAN_FAILPOINTS ?? ''
  if (spec !== parsedFrom) {
    table = parse(spec)
    parsedFrom = spec
  }
  return table
}

/** failpoint does what MERIDIAN_FAILPOINTS says for name: nothing, crash, or pause */
export async function failpoint(name: string): Promise<void> {
  const action = actions().get(name)
  if (action?.kind === 'delay') await sleep(action.ms)
  if (action?.kind === 'crash') {
    process.kill(process.pid, 'SIGKILL')
    // Block the thread until the signal lands, so that no other callback runs in between.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  }
}

/** failpointOn tells whether MERIDIAN_FAILPOINTS switches name on */
export function failpointOn(name: string): boolean {
  return actions().get(name)?.kind === 'on'
}
