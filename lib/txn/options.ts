// The tunables of cross-group transactions, in one place.
import { ms } from '../config/tunables'

export interface TxnOptions {
  /** recordPrefix is where transaction records live in the coordinator group (default 'txn/') */
  recordPrefix?: string
  /** timeoutMs is how long a transaction may stay pending before anyone may abort it (default 10 s) */
  timeoutMs?: number
  /** now is the clock deadlines are read by (default Date.now); clocks may disagree, the record's compare-and-swap decides */
  now?: () => number
  /**
   * marker is a key in the coordinator group that this caller alone writes while the
   * transaction runs: the commit puts the txid there too, so that a commit whose reply was lost
   * is known for committed even after a resolver applied it and cleared the record
   */
  marker?: { key: string; lease?: number }
}

export const DEFAULT_TIMEOUT_MS = ms(undefined, 'cross-group-timeout')
