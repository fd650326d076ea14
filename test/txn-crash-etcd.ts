import t from 'tap'
import { txnCrash } from '../fixtures/txn-crash'
import { etcdGroups } from '../fixtures/txn-groups'

txnCrash(t, etcdGroups)
