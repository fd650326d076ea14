#!/bin/sh
# Run by npm after installing dependencies (package.json "postinstall"). fuse-native 2.2.6
# hands utimens the access time twice and cannot tell UTIME_NOW from UTIME_OMIT (an explicit
# mtime never arrives: tar, cp -p and rsync -a lose mtimes), and it never tells who is calling
# (every file would belong to the mounting user). Our patch (lib/fuse/fuse-native.patch) fixes
# the first and exposes the caller's uid/gid/pid; we then build the binding from source.
# Idempotent.
set -e
here=$(cd "$(dirname "$0")" && pwd)
native="$here/../../node_modules/fuse-native"
[ -f "$native/fuse-native.c" ] || exit 0
if ! grep -q 'fuse_native_caller' "$native/fuse-native.c"; then
  patch -s -d "$native" -p1 < "$here/fuse-native.patch"
  rm -rf "$native/build"
fi
if [ ! -f "$native/build/Release/fuse.node" ]; then
  (cd "$native" && node-gyp rebuild --silent >&2)
fi
