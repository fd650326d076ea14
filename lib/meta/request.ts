// Checks every engine applies to a transaction before running it, so that a request that
// etcd would refuse is refused the same way by the embedded engine, with a clear message.
import { MetaError } from '../errors'
import { limits, prefixEnd, toBuffer, type Compare, type Op } from './store'

const OP_OVERHEAD = 16

/** requestBytes estimates the size of a transaction as etcd counts it (keys, values, framing). */
export function requestBytes(compares: Compare[], ops: Op[]): number {
  let n = 0
  for (const c of compares) n += toBuffer(c.key).length + (typeof c.value === 'number' ? 8 : toBuffer(c.value).length) + OP_OVERHEAD
  for (const op of ops) {
    n += OP_OVERHEAD
    if (op.type === 'put') n += toBuffer(op.key).length + toBuffer(op.value).length
    else if (op.type === 'deletePrefix') n += 2 * toBuffer(op.prefix).length
    else n += toBuffer(op.key).length
  }
  return n
}

/** checkTxn refuses a transaction over the request limits or writing one key twice. */
export function checkTxn(compares: Compare[], success: Op[], failure: Op[]): void {
  const most = Math.max(compares.length, success.length, failure.length)
  if (most > limits.txnOps) {
    throw new MetaError('ETOOMANYOPS', `transaction has ${most} operations in one branch; the limit is ${limits.txnOps} (etcd's --max-txn-ops)`)
  }
  const size = requestBytes(compares, success.length >= failure.length ? success : failure)
  if (size > limits.requestBytes) {
    throw new MetaError('ETOOLARGE', `request of ${size} bytes is over the ${limits.requestBytes}-byte limit (etcd's --max-request-bytes)`)
  }
  checkDistinctWrites(success)
  checkDistinctWrites(failure)
}

// etcd refuses a transaction branch that writes one key twice ("duplicate key given in txn request").
function checkDistinctWrites(ops: Op[]): void {
  const keys = new Set<string>()
  const ranges: Array<[Buffer, Buffer]> = []
  for (const op of ops) {
    if (op.type === 'put' || op.type === 'delete') {
      const k = toBuffer(op.key).toString('hex')
      if (keys.has(k)) throw new MetaError('EINVAL', `transaction writes key ${JSON.stringify(toBuffer(op.key).toString())} twice`)
      keys.add(k)
    } else if (op.type === 'deletePrefix') {
      const start = toBuffer(op.prefix)
      ranges.push([start, prefixEnd(start)])
    }
  }
  for (const op of ops) {
    if (op.type !== 'put') continue
    const key = toBuffer(op.key)
    for (const [start, end] of ranges) {
      if (key.compare(start) >= 0 && (end.length === 0 || key.compare(end) < 0)) {
        throw new MetaError('EINVAL', `transaction puts key ${JSON.stringify(key.toString())} inside a prefix it deletes`)
      }
    }
  }
}
