// The one small HTTP server behind `--metrics ADDR` and `meridian serve --listen ADDR`: a table
// of GET routes, each answering a body and its content type. Bound to loopback unless the
// address names another host, since nothing it serves asks who is asking.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigError } from '../errors'
import { log } from '../log'

export interface Answer {
  type: string
  body: string
}

/** routes by path: each returns what to answer (a failure answers 500 and is logged) */
export type Routes = Record<string, () => Answer | Promise<Answer>>

export interface Listening {
  /** host:port it listens on (the port the kernel chose, when ADDR asked for port 0) */
  readonly address: string
  /** close stops listening; idempotent */
  close(): Promise<void>
}

/** parseListen reads HOST:PORT, :PORT or PORT (loopback then); field names the option in errors */
export function parseListen(field: string, text: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[\w.-]+)?:)?(\d{1,5})$/.exec(text)
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) throw new ConfigError(field, `'${text}' is not HOST:PORT, :PORT or PORT`)
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port }
}

/** listen serves routes on addr (checked by parseListen) and resolves once it listens */
export async function listen(field: string, addr: string, routes: Routes): Promise<Listening> {
  const { host, port } = parseListen(field, addr)
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const route = req.method === 'GET' || req.method === 'HEAD' ? routes[path] : undefined
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    Promise.resolve().then(route).then(
      a => res.writeHead(200, { 'content-type': a.type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : a.body),
      (err: unknown) => {
        log.error({ path, err }, `http ${path} failed`)
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`)
      },
    )
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => fail(new ConfigError(field, `cannot listen on ${addr}: ${err.code ?? err.message}`)))
    server.listen(port, host, ok)
  })
  const a = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  return {
    address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => (closing ??= new Promise<void>(done => {
      server.close(() => done())
      server.closeAllConnections()
    })),
  }
}
