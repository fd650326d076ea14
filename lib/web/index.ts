// The routes of the status page: the page itself, the JSON it polls, and /metrics beside them.
import { metricsRoute } from '../metrics'
import type { Routes } from './http'
import { STATUS_PAGE } from './page'
import type { StatusSource } from './status-data'

export { listen, parseListen, type Listening, type Routes } from './http'
export { StatusSource, type StatusReport } from './status-data'

/** statusRoutes serves GET / (the page), /status.json (what it shows) and /metrics */
export function statusRoutes(source: StatusSource): Routes {
  return {
    '/': () => ({ type: 'text/html; charset=utf-8', body: STATUS_PAGE }),
    '/status.json': async () => ({ type: 'application/json', body: JSON.stringify(await source.report()) }),
    '/metrics': metricsRoute(),
  }
}
