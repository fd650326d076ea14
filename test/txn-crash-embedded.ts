import t from 'tap'
import { txnCrash } from '../fixtures/txn-crash'
import { embeddedGroups } from '../fixtures/txn-groups'

txnCrash(t, embeddedGroups)
