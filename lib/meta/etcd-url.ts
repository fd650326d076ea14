// What an etcd metadata URL says: the members, the nearest one, and how to connect securely.
//   etcd://host:port[,host:port...][?options]     plain gRPC
//   etcds://host:port[,host:port...][?options]    TLS
// options (a query string):
//   nearest=host:port     the member that serves serializable reads
//   ca=PATH               the CA that signed the members' certificates (etcds; default: the system's)
//   cert=PATH, key=PATH   a client certificate and its key, for etcd's --client-cert-auth (etcds)
//   user=NAME             etcd user/password authentication as NAME; the password comes from
//   password-file=PATH    this file (its first line), or else the MERIDIAN_ETCD_PASSWORD variable
// A URL is printed by `status`, stored as a group's record and visible in process listings, so
// it names files and a user only: a password in it is refused, never echoed.
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors'

/** the environment variable a password comes from when no password-file is named */
export const PASSWORD_ENV = 'MERIDIAN_ETCD_PASSWORD'

export interface EtcdTls {
  rootCertificate?: Buffer
  privateKey?: Buffer
  certChain?: Buffer
}

export interface EtcdConnection {
  /** client endpoints, e.g. ['https://127.0.0.1:2379'] */
  endpoints: string[]
  nearest?: string
  /** TLS (etcds://): the CA and the client certificate, when given */
  tls?: EtcdTls
  auth?: { username: string; password: string }
}

const OPTIONS = ['nearest', 'ca', 'cert', 'key', 'user', 'password-file']
const isHost = (h: string) => /^[\w.-]+:\d+$/.test(h)

/** parseEtcdUrl reads the part of an etcd URL after the scheme; every mistake is a ConfigError naming 'meta' */
export function parseEtcdUrl(scheme: 'etcd' | 'etcds', location: string): EtcdConnection {
  const [list, query = ''] = location.split('?', 2)
  const params = new URLSearchParams(query)
  const form = `${scheme}://host:port[,host:port...][?${OPTIONS.join('=...&')}=...]`
  for (const key of params.keys()) {
    if (key === 'password') throw new ConfigError('meta', `a password never goes in the URL (status and process listings show it): name a password-file=PATH or set ${PASSWORD_ENV}`)
    if (!OPTIONS.includes(key)) throw new ConfigError('meta', `unknown option '${key}' in the etcd URL (known: ${OPTIONS.join(', ')})`)
  }
  const hosts = list.split(',').filter(Boolean)
  const nearest = params.get('nearest') ?? undefined
  if (hosts.length === 0 || !hosts.every(isHost) || (nearest !== undefined && !isHost(nearest))) {
    throw new ConfigError('meta', `'${scheme}://${location}' is not ${form}`)
  }
  const protocol = scheme === 'etcds' ? 'https' : 'http'
  const conn: EtcdConnection = { endpoints: hosts.map(h => `${protocol}://${h}`), nearest: nearest && `${protocol}://${nearest}` }
  const [ca, cert, key] = ['ca', 'cert', 'key'].map(k => params.get(k) || undefined)
  if (scheme === 'etcd' && (ca ?? cert ?? key) !== undefined) throw new ConfigError('meta', 'ca, cert and key are TLS options: use etcds://')
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError('meta', 'a client certificate needs both cert=PATH and key=PATH')
  const pem = (option: string, file: string | undefined) => (file === undefined ? undefined : readPem(option, file))
  if (scheme === 'etcds') conn.tls = { rootCertificate: pem('ca', ca), certChain: pem('cert', cert), privateKey: pem('key', key) }
  const user = params.get('user') ?? undefined
  if (user !== undefined) conn.auth = { username: user, password: password(params.get('password-file') ?? undefined) }
  else if (params.has('password-file')) throw new ConfigError('meta', 'password-file needs user=NAME')
  return conn
}

function readPem(option: string, file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new ConfigError('meta', `cannot read the ${option} file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
}

function password(file: string | undefined): string {
  if (file === undefined) {
    const value = process.env[PASSWORD_ENV]
    if (value === undefined || value === '') throw new ConfigError('meta', `user= needs a password: name a password-file=PATH or set ${PASSWORD_ENV}`)
    return value
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError('meta', `cannot read the password-file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  const value = text.split('\n')[0].replace(/\r$/, '')
  if (value === '') throw new ConfigError('meta', `the password-file ${file} is empty`)
  return value
}
