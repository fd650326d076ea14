import t from 'tap'
import { ENOENT, MetaError, toErrno, isRecoverable, FsError } from '../lib/errors'

t.test('fs errors carry their errno code', async t => {
  const e = ENOENT('/a/b')
  t.ok(e instanceof FsError)
  t.equal(e.code, 'ENOENT')
  t.equal(e.errno, 2)
  t.equal(toErrno(e), 'ENOENT')
})

t.test('meta errors map to errno and carry the recoverable flag', async t => {
  t.equal(toErrno(new MetaError('ETIMEDOUT', 'no quorum')), 'ETIMEDOUT')
  t.equal(toErrno(new MetaError('ETOOLARGE', 'big')), 'EFBIG')
  t.ok(isRecoverable(new MetaError('EUNAVAILABLE', 'leader changed', { recoverable: true })))
  t.notOk(isRecoverable(new MetaError('ECOMPACTED', 'gone')))
})

t.test('unknown failures become EIO; node errors keep their code', async t => {
  t.equal(toErrno(new Error('boom')), 'EIO')
  t.equal(toErrno(Object.assign(new Error('x'), { code: 'EACCES' })), 'EACCES')
  t.equal(toErrno(null), 'EIO')
})
