import t from 'tap'
import { fsSuite } from '../fixtures/fs-suite'
import { etcdSingle } from '../fixtures/meta-engines'

fsSuite(t, etcdSingle)
