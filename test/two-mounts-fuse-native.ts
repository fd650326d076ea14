// The two-mount tests (test/two-mounts.ts) through the fuse-native binding (libfuse 2).
import { testBinding } from '../fixtures/mount'
testBinding('fuse-native')
require('./two-mounts')
