#!/bin/sh
# Run by npm after installing dependencies (package.json "postinstall"): fuse-native 2.2.6
# hands utimens the access time twice and cannot tell UTIME_NOW from UTIME_OMIT, so an
# explicit mtime never arrives (tar, cp -p and rsync -a lose mtimes). We apply our small fix
# (lib/fuse/fuse-native-utimens.patch) and build the binding from source. Idempotent.
set -e
here=$(cd "$(dirname "$0")" && pwd)
native="$here/../../node_modules/fuse-native"
[ -f "$native/fuse-native.c" ] || exit 0
if ! grep -q 'utime_to_uint64' "$native/fuse-native.c"; then
  patch -s -d "$native" -p1 < "$here/fuse-native-utimens.patch"
  rm -rf "$native/build"
fi
if [ ! -f "$native/build/Release/fuse.node" ]; then
  (cd "$native" && node-gyp rebuild --silent >&2)
fi
