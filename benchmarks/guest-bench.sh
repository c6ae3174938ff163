#!/bin/sh
# init (pid 1) of the User-Mode Linux guest that runs the benchmarks
# (benchmarks/uml.ts boots it): the vm tier's setup, then the benchmarks.
# Besides BULKHEAD_ROOT and BULKHEAD_OUT its parameters are BULKHEAD_BENCH
# (spawn,limits), BULKHEAD_BENCH_N, BULKHEAD_BENCH_WARMUP and BULKHEAD_BENCH_ONLY.
. "$BULKHEAD_ROOT/test/vm/guest-setup.sh"
# Results go to BULKHEAD_OUT as JSON; stdout (the tables) to guest.log; stderr,
# the relayed progress lines, to the console, which the host reads as it goes.
node dist/benchmarks/main.js --guest "${BULKHEAD_BENCH:-spawn}" --n "${BULKHEAD_BENCH_N:-200}" \
  --warmup "${BULKHEAD_BENCH_WARMUP:-20}" ${BULKHEAD_BENCH_ONLY:+--only "$BULKHEAD_BENCH_ONLY"} \
  --out "$BULKHEAD_OUT" >"$BULKHEAD_OUT/guest.log"
echo $? >"$BULKHEAD_OUT/status"
sync
halt -f
