import t from 'tap'
import { metaContract } from '../fixtures/meta-contract'
import { embedded } from '../fixtures/meta-engines'

metaContract(t, embedded)
