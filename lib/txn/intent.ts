// The intent envelope: during a cross-group transaction, each key it writes (or reads under a
// guard) holds this value in place of its own, so that every reader and single-group writer
// of the key meets it. The value starts with a binary magic that no JSON record can start
// with (a NUL byte), followed by a JSON body:
//   \0MRDN-INTENT\0{"v":1,"txid":..,"coordinator":..,"record":..,"group":..,"key":b64,
//                   "prior":b64|null,"next":b64|null}
// prior is the key's value before the transaction (null: absent), next its value after a
// commit (null: deleted). The envelope names its own group and key, so that it describes
// itself to fsck and to a resolver that only has the value.
import { toBuffer, type Bytes } from '../meta/store'

const MAGIC = Buffer.from('\0MRDN-INTENT\0')
const VERSION = 1

export interface Intent {
  txid: string
  /** the group that holds the transaction record */
  coordinator: string
  /** the record's key in the coordinator group */
  record: string
  /** the group this envelope lives in */
  group: string
  key: Buffer
  prior: Buffer | null
  next: Buffer | null
}

interface Body {
  v: number
  txid: string
  coordinator: string
  record: string
  group: string
  key: string
  prior: string | null
  next: string | null
}

const b64 = (b: Buffer | null) => (b === null ? null : b.toString('base64'))
const unb64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'))

export function encodeIntent(i: Intent): Buffer {
  const body: Body = {
    v: VERSION, txid: i.txid, coordinator: i.coordinator, record: i.record, group: i.group,
    key: i.key.toString('base64'), prior: b64(i.prior), next: b64(i.next),
  }
  return Buffer.concat([MAGIC, Buffer.from(JSON.stringify(body))])
}

/** decodeIntent reads an envelope; undefined for any value that is not a well-formed one */
export function decodeIntent(value: Bytes): Intent | undefined {
  const v = toBuffer(value)
  if (v.length <= MAGIC.length || !v.subarray(0, MAGIC.length).equals(MAGIC)) return undefined
  let b: Body
  try {
    b = JSON.parse(v.subarray(MAGIC.length).toString()) as Body
  } catch {
    return undefined
  }
  const str = (x: unknown) => typeof x === 'string'
  const opt = (x: unknown) => x === null || str(x)
  if (b?.v !== VERSION || ![b.txid, b.coordinator, b.record, b.group, b.key].every(str) || !opt(b.prior) || !opt(b.next)) {
    return undefined
  }
  return {
    txid: b.txid, coordinator: b.coordinator, record: b.record, group: b.group,
    key: Buffer.from(b.key, 'base64'), prior: unb64(b.prior), next: unb64(b.next),
  }
}

/** isIntent tells whether a stored value is an intent envelope rather than the key's own value */
export function isIntent(value: Bytes): boolean {
  return decodeIntent(value) !== undefined
}
