import t from 'tap'
import { txnContract } from '../fixtures/txn-contract'
import { embeddedGroups } from '../fixtures/txn-groups'

txnContract(t, embeddedGroups)
