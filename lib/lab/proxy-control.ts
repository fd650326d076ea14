// A client of the link proxy's control endpoint (link-proxy.ts), over its unix socket.
import http from 'node:http'
import type { LinkCounters } from './links'

function call<T>(socket: string, method: string, path: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, timeout: 5_000 }, res => {
      let text = ''
      res.on('data', c => { text += String(c) })
      res.on('end', () => {
        try {
          const value = JSON.parse(text) as T & { error?: string }
          if (res.statusCode !== 200) reject(new Error(`link proxy: ${value.error ?? res.statusCode}`))
          else resolve(value)
        } catch (err) {
          reject(err as Error)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`link proxy at ${socket} did not answer`)))
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

export class ProxyControl {
  constructor(readonly socket: string) {}

  links(): Promise<LinkCounters[]> {
    return call(this.socket, 'GET', '/links')
  }

  async cut(site: string): Promise<void> {
    await call(this.socket, 'POST', `/cut/${site}`)
  }

  async heal(): Promise<void> {
    await call(this.socket, 'POST', '/heal')
  }

  async setMembers(ids: Record<string, string>): Promise<void> {
    await call(this.socket, 'POST', '/members', ids)
  }
}
