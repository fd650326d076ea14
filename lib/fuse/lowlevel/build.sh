#!/bin/sh
# Builds Meridian's libfuse 3 low-level binding (binding.cc) and its sd_notify function
# (notify.cc) with node-gyp when either is missing or older than its sources: run by npm's
# postinstall and by fixtures/setup.sh. Needs Debian's libfuse3-dev (setup.sh installs it).
# Outside npm, node-gyp learns npm's nodedir from npm.
set -e
here=$(cd "$(dirname "$0")" && pwd)
built="$here/build/Release"
fresh() { [ "$built/$1" -nt "$here/$2" ] && [ "$built/$1" -nt "$here/napi-text.h" ]; }
fresh meridian_fuse.node binding.cc && fresh meridian_notify.node notify.cc && exit 0
nodedir=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
[ -n "$nodedir" ] && [ "$nodedir" != undefined ] && export npm_config_nodedir="$nodedir"
gyp="$here/../../../node_modules/.bin/node-gyp"
[ -x "$gyp" ] || gyp=node-gyp
cd "$here" && "$gyp" rebuild --silent >&2
