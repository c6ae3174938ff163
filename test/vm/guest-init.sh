#!/bin/sh
# init (pid 1) of the User-Mode Linux guest that runs the vm tier: the common
# setup, then every test/vm/*.vm.js in one node (guest-runner.js).
. "$(dirname "$0")/guest-setup.sh"
# The guest as a whole is bounded by boot.ts; tap's own 30 s per process would cut the tier short.
BULKHEAD_UML_GUEST=1 TAP_TIMEOUT=0 node dist/test/vm/guest-runner.js >"$BULKHEAD_OUT/guest.tap" 2>"$BULKHEAD_OUT/guest.stderr"
echo $? >"$BULKHEAD_OUT/status"
sync
halt -f
