// sdNotify tells systemd how a service is doing (sd_notify(3): READY=1, STOPPING=1, STATUS=...)
// when it runs under a Type=notify unit, which sets $NOTIFY_SOCKET; elsewhere it does nothing.
// The datagram goes out from this very process (notify.cc): systemd's default NotifyAccess=main
// accepts only the service's main process.
import { join } from 'node:path'

// this file runs as dist/lib/fuse/lowlevel/sd-notify.js; the build stays next to notify.cc
const NOTIFY = join(__dirname, '../../../../lib/fuse/lowlevel/build/Release/meridian_notify.node')

let loaded: { notify(socket: string, message: string): void } | undefined

/**
 * sdNotify sends state (lines KEY=VALUE) to $NOTIFY_SOCKET; false when there is none. A missing
 * build or a failed send throws (its code: the errno's name).
 */
export function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const socket = env.NOTIFY_SOCKET
  if (!socket) return false
  if (!loaded) {
    try {
      loaded = require(NOTIFY) as typeof loaded
    } catch (err) {
      throw new Error(`the sd_notify binding is not built (${NOTIFY}): run npm install or sh lib/fuse/lowlevel/build.sh`, { cause: err })
    }
  }
  loaded!.notify(socket, state)
  return true
}
