// The scan behind `meridian fsck` (report stale intents and records) and `fsck --repair`
// (resolve them). Live transactions (pending, before their deadline) are reported and left alone.
import { scan } from '../meta/scan'
import type { MetaStore } from '../meta/store'
import type { Groups } from './group'
import { decodeIntent, type Intent } from './intent'
import { DEFAULT_RECORD_PREFIX, decodeRecord, type TxnRecord } from './record'
import { resolveIntent, resolveRecord, type Resolution, type ResolveOptions } from './resolve'


export interface FoundRecord {
  key: string
  record: TxnRecord
}

export interface RepairOptions extends ResolveOptions {
  /** prefix is where intents may be, in every group ('' for the whole store) */
  prefix: string
  /** recordPrefix is where records are (default 'txn/') */
  recordPrefix?: string
}

export interface RepairReport {
  records: Array<{ group: string; txid: string; state: TxnRecord['state']; resolution: Resolution }>
  intents: Array<{ group: string; key: string; txid: string; resolution: Resolution }>
}

/** findIntents lists the intent envelopes under prefix (one whose own key is not where it lies is not one) */
export async function findIntents(store: MetaStore, prefix: string): Promise<Intent[]> {
  const found: Intent[] = []
  for await (const kv of scan(store, prefix)) {
    const intent = decodeIntent(kv.value)
    if (intent?.key.equals(kv.key)) found.push(intent)
  }
  return found
}

/** findRecords lists the transaction records under recordPrefix */
export async function findRecords(store: MetaStore, recordPrefix = DEFAULT_RECORD_PREFIX): Promise<FoundRecord[]> {
  const found: FoundRecord[] = []
  for await (const kv of scan(store, recordPrefix)) {
    const record = decodeRecord(kv.value)
    if (record) found.push({ key: kv.key.toString(), record })
  }
  return found
}

/**
 * repair settles every transaction with a record in one of names (which settles its envelopes
 * in every group), then every envelope still left under opts.prefix in names.
 */
export async function repair(groups: Groups, names: string[], opts: RepairOptions): Promise<RepairReport> {
  const report: RepairReport = { records: [], intents: [] }
  for (const group of names) {
    for (const { key, record } of await findRecords(groups(group), opts.recordPrefix)) {
      const { resolution } = await resolveRecord(groups, group, key, opts)
      report.records.push({ group, txid: record.txid, state: record.state, resolution })
    }
  }
  for (const group of names) {
    for (const intent of await findIntents(groups(group), opts.prefix)) {
      const resolution = await resolveIntent(groups, intent, opts)
      report.intents.push({ group, key: intent.key.toString(), txid: intent.txid, resolution })
    }
  }
  return report
}
