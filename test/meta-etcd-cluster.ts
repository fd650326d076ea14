import t from 'tap'
import { metaContract } from '../fixtures/meta-contract'
import { etcdCluster } from '../fixtures/meta-engines'

metaContract(t, etcdCluster, { quorum: true })
