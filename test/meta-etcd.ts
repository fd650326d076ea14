import t from 'tap'
import { metaContract } from '../fixtures/meta-contract'
import { etcdSingle } from '../fixtures/meta-engines'

metaContract(t, etcdSingle)
