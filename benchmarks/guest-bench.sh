#!/bin/sh
# init (pid 1) of the User-Mode Linux guest that runs the benchmarks
# (benchmarks/uml.ts boots it). The same setup as test/vm/guest-init.sh: the
# guest's root is the host's / over hostfs, everything mounted here is the
# guest's own, and /sys/fs/cgroup is a pure cgroup v2 hierarchy. Unknown
# key=value kernel parameters reach init as environment variables: BULKHEAD_ROOT
# (the project), BULKHEAD_OUT (a host directory for the results), BULKHEAD_BENCH
# (spawn,limits), BULKHEAD_BENCH_N, BULKHEAD_BENCH_WARMUP and BULKHEAD_BENCH_ONLY.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
# The project may live under /tmp: bind it to a fixed place before the guest's
# own tmpfs hides the host's /tmp.
mkdir -p /run/bulkhead/project && mount --bind "$BULKHEAD_ROOT" /run/bulkhead/project
out=/run/bulkhead/project/${BULKHEAD_OUT#"$BULKHEAD_ROOT"/}
BULKHEAD_ROOT=/run/bulkhead/project BULKHEAD_OUT=$out
export BULKHEAD_ROOT BULKHEAD_OUT
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
ip link set lo up 2>/dev/null
cd "$BULKHEAD_ROOT" || { echo 125 >"$BULKHEAD_OUT/status"; halt -f; }
# Results go to BULKHEAD_OUT as JSON; stdout (the tables) to guest.log; stderr,
# the relayed progress lines, to the console, which the host reads as it goes.
node dist/benchmarks/main.js --guest "${BULKHEAD_BENCH:-spawn}" --n "${BULKHEAD_BENCH_N:-200}" \
  --warmup "${BULKHEAD_BENCH_WARMUP:-20}" ${BULKHEAD_BENCH_ONLY:+--only "$BULKHEAD_BENCH_ONLY"} \
  --out "$BULKHEAD_OUT" >"$BULKHEAD_OUT/guest.log"
echo $? >"$BULKHEAD_OUT/status"
sync
halt -f
