import t from 'tap'
import { fsSuite } from '../fixtures/fs-suite'
import { embedded } from '../fixtures/meta-engines'

fsSuite(t, embedded)
