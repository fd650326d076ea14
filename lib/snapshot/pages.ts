// How a group's cut is kept in the pools: its keys and values in pages of about PAGE_BYTES,
// each page a gzip of JSON {"v":1,"kvs":[[key b64, value b64], ...]}, stored as one immutable,
// content-addressed blob like file data (so placement and the replicator keep it safe too).
import { gunzipSync, gzipSync } from 'node:zlib'
import { EIO } from '../errors'

const VERSION = 1
const PAGE_BYTES = 4 * 1024 * 1024

export type KeyValues = Array<[Buffer, Buffer]>

/** encodePages cuts kvs into pages of about PAGE_BYTES of keys and values each */
export function encodePages(kvs: KeyValues): Buffer[] {
  const pages: Buffer[] = []
  let page: Array<[string, string]> = []
  let bytes = 0
  const flush = () => {
    pages.push(gzipSync(JSON.stringify({ v: VERSION, kvs: page })))
    page = []
    bytes = 0
  }
  for (const [k, v] of kvs) {
    page.push([k.toString('base64'), v.toString('base64')])
    bytes += k.length + v.length
    if (bytes >= PAGE_BYTES) flush()
  }
  if (page.length > 0 || pages.length === 0) flush()
  return pages
}

/** decodePage reads one page; EIO for a blob that is not one */
export function decodePage(blob: string, data: Buffer): KeyValues {
  let body: { v?: number; kvs?: unknown }
  try {
    body = JSON.parse(gunzipSync(data).toString()) as typeof body
  } catch {
    throw EIO(`snapshot page ${blob} is not a page of a snapshot`)
  }
  if (body.v !== VERSION || !Array.isArray(body.kvs)) throw EIO(`snapshot page ${blob} has version ${body.v}, not ${VERSION}`)
  return (body.kvs as Array<[string, string]>).map(([k, v]) => [Buffer.from(k, 'base64'), Buffer.from(v, 'base64')])
}
