# Sourced by the UML guests' init scripts (test/vm/guest-init.sh,
# benchmarks/guest-bench.sh). The guest's root is the host's / over hostfs;
# everything mounted here is the guest's own. Unknown key=value kernel
# parameters reach init as environment variables (kernel-parameters.txt):
# BULKHEAD_PROJECT (the project) and BULKHEAD_OUT (a host directory for results).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
# The project may live under /tmp (CI clones anywhere); bind it to a fixed place
# before the guest's own tmpfs hides the host's /tmp.
mkdir -p /run/bulkhead/project && mount --bind "$BULKHEAD_PROJECT" /run/bulkhead/project
out=/run/bulkhead/project/${BULKHEAD_OUT#"$BULKHEAD_PROJECT"/}
BULKHEAD_PROJECT=/run/bulkhead/project BULKHEAD_OUT=$out
export BULKHEAD_PROJECT BULKHEAD_OUT
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
# sysfs provides /sys/fs/cgroup as an empty mount point; here it is pure v2.
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
# Modules: Debian ships them in /usr/lib/uml/modules/<release>, and modprobe -d
# DIR looks in DIR/lib/modules/<release>: a bind under the guest's own /run
# keeps the host's tree untouched.
rel=$(uname -r)
mkdir -p /run/kmod/lib/modules/$rel && mount --bind /usr/lib/uml/modules/$rel /run/kmod/lib/modules/$rel
for m in overlay veth bridge; do
  modprobe -d /run/kmod $m 2>>"$BULKHEAD_OUT/console-extra" || echo "modprobe $m failed" >>"$BULKHEAD_OUT/console-extra"
done
ip link set lo up 2>/dev/null
cd "$BULKHEAD_PROJECT" || { echo 125 >"$BULKHEAD_OUT/status"; halt -f; }
