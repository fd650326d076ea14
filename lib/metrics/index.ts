// Prometheus metrics: the registry and its definitions (registry.ts), the seams that feed them
// (ops.ts, counters.ts, metered-store.ts), and the route that exposes them.
import { collectDefaultMetrics } from 'prom-client'
import type { Answer, Routes } from '../web/http'
import { registry } from './registry'

export { DEFAULT_SLOW_OP_MS, recentSlowOps, setSlowOpMs, type SlowOp } from './ops'

let processMetrics = false

/**
 * metricsRoute is the route of GET /metrics, in Prometheus's text format; the first one made
 * also starts prom-client's process_* and nodejs_* metrics (CPU, memory, event-loop lag, open
 * descriptors, GC), which only a process that exports metrics should pay for
 */
export function metricsRoute(): Routes[string] {
  if (!processMetrics) collectDefaultMetrics({ register: registry })
  processMetrics = true
  return async (): Promise<Answer> => ({ type: registry.contentType, body: await registry.metrics() })
}
