// Prometheus metrics: the registry and its definitions (registry.ts), the seams that feed them
// (ops.ts, counters.ts, metered-store.ts), and the route that exposes them.
import type { Answer } from '../web/http'
import { registry } from './registry'

export { DEFAULT_SLOW_OP_MS, recentSlowOps, setSlowOpMs, type SlowOp } from './ops'

/** metricsRoute answers GET /metrics in Prometheus's text format */
export async function metricsRoute(): Promise<Answer> {
  return { type: registry.contentType, body: await registry.metrics() }
}
