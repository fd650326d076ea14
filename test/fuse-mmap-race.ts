// Stress: one thread stores into a shared writable mapping (msync now and then) while another
// write(2)s and fsyncs the same file, through a real mount. The kernel writes mapped pages back
// as WRITE requests on one of the file's handles, interleaved with the write(2)s; any failure
// of such a write-back (a seal error that lib/fs reports at the file's next write) is kept by
// the kernel as a mapping error and returned as EIO by the next msync, fsync or close. None
// may happen: every call succeeds, and the file reads back whole afterwards.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { stat } from 'node:fs/promises'
import { mountMeridian } from '../fixtures/mount'

const run = promisify(execFile)
const SIZE = 8 << 20
const SECONDS = 4

const RACE = `
import mmap, os, sys, threading, time
path, size, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, size)
m = mmap.mmap(fd, size)
errors = []
stop = time.time() + seconds
def stores():
    n = 0
    while time.time() < stop:
        at = (n * 4093) % (size - 8)
        m[at:at + 8] = n.to_bytes(8, 'little')
        if n % 64 == 0:
            try: m.flush()
            except OSError as e: errors.append('msync: ' + str(e))
        n += 1
def writes():
    wfd = os.open(path, os.O_RDWR)
    n = 0
    while time.time() < stop:
        try:
            os.pwrite(wfd, os.urandom(65536), (n * 7919) % (size - 65536))
            if n % 20 == 0: os.fsync(wfd)
        except OSError as e: errors.append('write: ' + str(e))
        n += 1
    try: os.close(wfd)
    except OSError as e: errors.append('close: ' + str(e))
threads = [threading.Thread(target=stores), threading.Thread(target=writes)]
for th in threads: th.start()
for th in threads: th.join()
try:
    m.flush(); m.close(); os.fsync(fd); os.close(fd)
    with open(path, 'rb') as f: print(len(f.read()))
except OSError as e: errors.append('end: ' + str(e))
for e in errors[:5]: print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
`

t.test('mmap stores racing write(2) on one file never end in EIO', async t => {
  const m = await mountMeridian(t)
  const f = `${m.dir}/f`
  const { stdout } = await run('python3', ['-c', RACE, f, String(SIZE), String(SECONDS)], { encoding: 'utf8' })
  t.equal(stdout.trim(), String(SIZE), 'the whole file reads back')
  t.equal((await stat(f)).size, SIZE)
})
