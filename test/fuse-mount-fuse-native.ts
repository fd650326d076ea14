// The mount tests (test/fuse-mount.ts) through the fuse-native binding (libfuse 2).
import { testBinding } from '../fixtures/mount'
testBinding('fuse-native')
require('./fuse-mount')
