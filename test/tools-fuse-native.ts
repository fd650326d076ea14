// The real-tools tests (test/tools.ts) through the fuse-native binding (libfuse 2).
import { testBinding } from '../fixtures/mount'
testBinding('fuse-native')
require('./tools')
