// The lab's link proxy, one long-running process holding every link between sites:
//   node link-proxy.js CONFIG.json SOCKET
// It serves its control endpoint, HTTP on the unix socket SOCKET:
//   GET  /links          every link's counters (links.ts)
//   POST /cut/<site>     cut every link of site
//   POST /heal           end every cut
//   POST /members        {"<raft member id, hex>": "<site>", ...}: whose raft traffic is whose
// and stops on SIGTERM or SIGINT.
import { readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { Links, type ProxyConfig } from './links'

async function body(req: http.IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return text
}

async function main(configFile: string, socket: string): Promise<void> {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as ProxyConfig
  const links = await Links.start(config)
  const server = http.createServer((req, res) => {
    const answer = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
    }
    const url = req.url ?? '/'
    const cut = /^\/cut\/([a-z0-9]+)$/.exec(url)
    if (req.method === 'GET' && url === '/links') return answer(200, links.counters())
    if (req.method === 'POST' && cut) return answer(200, (links.cut(cut[1]), { cut: cut[1] }))
    if (req.method === 'POST' && url === '/heal') return answer(200, (links.heal(), { healed: true }))
    if (req.method === 'POST' && url === '/members') {
      return void body(req).then(text => answer(200, (links.setMembers(JSON.parse(text) as Record<string, string>), { ok: true })))
        .catch((err: Error) => answer(400, { error: err.message }))
    }
    answer(404, { error: `no ${req.method} ${url}` })
  })
  rmSync(socket, { force: true })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socket, resolve))
  const stop = () => {
    server.close()
    void links.close().then(() => { rmSync(socket, { force: true }); process.exit(0) })
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  process.stdout.write(`link proxy: ${config.listeners.length} listeners, rtt ${config.rttMs} ms, jitter ${config.jitterMs} ms, control on ${socket}\n`)
}

main(process.argv[2], process.argv[3]).catch((err: Error) => {
  process.stderr.write(`link proxy: ${err.stack ?? err.message}\n`)
  process.exit(1)
})
