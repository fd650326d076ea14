import t from 'tap'
import { txnContract } from '../fixtures/txn-contract'
import { etcdGroups } from '../fixtures/txn-groups'

txnContract(t, etcdGroups)
