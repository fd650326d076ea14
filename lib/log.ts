// The one logger: pino, JSON lines on stderr (a background mount sends stderr to
// ~/.meridian/mount.log). MERIDIAN_LOG_LEVEL picks the level (default 'info').
// Writes are synchronous so that the last lines before a crash are not lost.
import pino from 'pino'

export const log = pino(
  { name: 'meridian', level: process.env.MERIDIAN_LOG_LEVEL ?? 'info' },
  pino.destination({ dest: 2, sync: true }),
)
