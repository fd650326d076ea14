#!/bin/sh
# Run by npm after installing dependencies (package.json "postinstall") and by fixtures/setup.sh.
# fuse-native 2.2.6 hands utimens the access time twice, carries times as unsigned
# milliseconds (nanoseconds and every time before 1970 are lost) and never tells who is
# calling. Our patch (lib/fuse/fuse-native.patch) passes times as seconds and nanoseconds and
# exposes the caller's uid/gid/pid; we then build the binding from source. Idempotent: a tree
# patched by an older version of the patch is put back to the original source first.
set -e
here=$(cd "$(dirname "$0")" && pwd)
native="$here/../../node_modules/fuse-native"
marker='Meridian fuse-native patch 4'
[ -f "$native/fuse-native.c" ] || exit 0
if ! grep -q "$marker" "$native/fuse-native.c"; then
  if [ -f "$native/fuse-native.c.orig" ]; then
    cp "$native/fuse-native.c.orig" "$native/fuse-native.c"
  elif grep -q 'fuse_native_caller' "$native/fuse-native.c"; then
    # patched before the original was kept: take it from the package itself
    version=$(node -p "require('$native/package.json').version")
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "fuse-native@$version" >/dev/null && tar -xzf fuse-native-*.tgz)
    cp "$tmp/package/fuse-native.c" "$native/fuse-native.c"
    rm -rf "$tmp"
  fi
  patch -s -b -d "$native" -p1 < "$here/fuse-native.patch"
  rm -rf "$native/build"
fi
if [ ! -f "$native/build/Release/fuse.node" ]; then
  # npm's own node-gyp (npm puts it on PATH only while running a package script)
  gyp=${npm_config_node_gyp:-$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js}
  # ... and npm's configuration (nodedir: where the Node headers are) only to package scripts too
  [ -n "$npm_config_nodedir" ] || npm_config_nodedir=$(npm config get nodedir)
  [ "$npm_config_nodedir" = undefined ] || [ "$npm_config_nodedir" = null ] || export npm_config_nodedir
  (cd "$native" && node "$gyp" rebuild --silent >&2)
fi
