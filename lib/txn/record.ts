// The transaction record `<recordPrefix><txid>` in the coordinator group: JSON
//   {"v":1,"txid":..,"state":"pending"|"committed"|"aborted","deadline":<ms since epoch>,
//    "participants":[{"group":..,"keys":[b64..],"prefixes":[b64..]}]}
// keys are every key that holds an envelope of the transaction in that group; prefixes the
// prefix deletes that run when the group applies. The record is the one place where the
// transaction's fate is decided: its state moves pending -> committed (only by the
// coordinator) or pending -> aborted (by anyone, once the deadline has passed).
export type TxnState = 'pending' | 'committed' | 'aborted'

/** GroupPlan is what a transaction does in one participant group */
export interface GroupPlan {
  group: string
  keys: Buffer[]
  prefixes: Buffer[]
}

export interface TxnRecord {
  txid: string
  state: TxnState
  deadline: number
  participants: GroupPlan[]
}

const VERSION = 1
export const DEFAULT_RECORD_PREFIX = 'txn/'

export function recordKey(recordPrefix: string, txid: string): string {
  return recordPrefix + txid
}

export function encodeRecord(r: TxnRecord): string {
  return JSON.stringify({
    v: VERSION, txid: r.txid, state: r.state, deadline: r.deadline,
    participants: r.participants.map(p => ({
      group: p.group, keys: p.keys.map(k => k.toString('base64')), prefixes: p.prefixes.map(k => k.toString('base64')),
    })),
  })
}

/** decodeRecord reads a record; undefined for a value that is not one */
export function decodeRecord(raw: Buffer): TxnRecord | undefined {
  try {
    const r = JSON.parse(raw.toString()) as { v?: number; txid?: string; state?: TxnState; deadline?: number; participants?: Array<{ group: string; keys: string[]; prefixes: string[] }> }
    if (r.v !== VERSION || typeof r.txid !== 'string' || !['pending', 'committed', 'aborted'].includes(r.state as string)) return undefined
    if (typeof r.deadline !== 'number' || !Array.isArray(r.participants)) return undefined
    return {
      txid: r.txid, state: r.state as TxnState, deadline: r.deadline,
      participants: r.participants.map(p => ({
        group: p.group, keys: p.keys.map(k => Buffer.from(k, 'base64')), prefixes: p.prefixes.map(k => Buffer.from(k, 'base64')),
      })),
    }
  } catch {
    return undefined
  }
}
