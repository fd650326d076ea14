#!/bin/sh
# Builds Meridian's libfuse 3 low-level binding (binding.cc) with node-gyp when it is missing or
# older than its source: run by npm's postinstall and by fixtures/setup.sh. Needs Debian's
# libfuse3-dev (setup.sh installs it). Outside npm, node-gyp learns npm's nodedir from npm.
set -e
here=$(cd "$(dirname "$0")" && pwd)
addon="$here/build/Release/meridian_fuse.node"
[ -f "$addon" ] && [ "$addon" -nt "$here/binding.cc" ] && exit 0
nodedir=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
[ -n "$nodedir" ] && [ "$nodedir" != undefined ] && export npm_config_nodedir="$nodedir"
gyp="$here/../../../node_modules/.bin/node-gyp"
[ -x "$gyp" ] || gyp=node-gyp
cd "$here" && "$gyp" rebuild --silent >&2
