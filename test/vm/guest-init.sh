#!/bin/sh
# init (pid 1) of the User-Mode Linux guest that runs the vm tier: the common
# setup, then every test/vm/*.vm.js in one node (guest-runner.js).
. "$(dirname "$0")/guest-setup.sh"
node dist/test/vm/guest-runner.js >"$BULKHEAD_OUT/guest.tap" 2>"$BULKHEAD_OUT/guest.stderr"
echo $? >"$BULKHEAD_OUT/status"
sync
halt -f
