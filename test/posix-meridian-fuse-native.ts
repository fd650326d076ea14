// The POSIX table suite (test/posix-meridian.ts) through the fuse-native binding (libfuse 2).
import { testBinding } from '../fixtures/mount'
testBinding('fuse-native')
require('./posix-meridian')
