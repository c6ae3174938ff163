#!/bin/sh
# init (pid 1) of the User-Mode Linux guest of the peers benchmark
# (benchmarks/peers.ts boots it): the vm tier's setup, then what the engines need,
# kept inside the guest, then benchmarks/peers.js --guest, then a check that the
# engines left nothing behind. BULKHEAD_PEERS_ARGS: peers.js's flags joined by @.
. "$BULKHEAD_PROJECT/test/vm/guest-setup.sh"
extra="$BULKHEAD_OUT/console-extra"
# The guest's root is the host's files over hostfs: dockerd, containerd, podman
# and CNI write under /etc, /var/lib and /root (key.json, cni.lock, caches).
# An overlay with a tmpfs upper over each keeps every such write in the guest.
for d in /etc /var/lib /root; do
  n=/run/peers-overlay$(echo "$d" | tr / _)
  mkdir -p "$n/upper" "$n/work"
  # Fail closed: without the overlay the engines would write into the host's files.
  if ! mount -t overlay overlay -o "lowerdir=$d,upperdir=$n/upper,workdir=$n/work" "$d" 2>>"$extra"; then
    echo "peers: overlay over $d failed: not starting any engine" | tee -a "$extra"
    echo 1 >"$BULKHEAD_OUT/status"; sync; halt -f
  fi
done
mount -t tmpfs tmpfs /var/tmp
# Debian's UML kernel builds nf_tables with the bridge family only, so the
# iptables-nft that is Debian's default cannot work: dockerd and CNI get
# iptables-legacy (x_tables) through a PATH of the guest's own; CNI's bridge
# plugin (podman's network) also needs the comment and mark matches.
for m in ip_tables iptable_filter iptable_nat xt_MASQUERADE xt_addrtype xt_conntrack xt_comment xt_mark xt_multiport xt_nat xt_tcpudp nf_nat br_netfilter nf_tables loop; do
  modprobe -d /run/kmod $m 2>>"$extra" || echo "modprobe $m failed" >>"$extra"
done
mkdir -p /run/peers-bin
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -sf "/usr/sbin/$(echo $t | sed 's/^\(ip6*tables\)/\1-legacy/')" "/run/peers-bin/$t"
done
PATH=/run/peers-bin:$PATH
export PATH
# stdout (the summary) to guest.log; stderr (progress lines "peers: ...") to the
# console, which the host reads as it comes.
node dist/benchmarks/peers.js --guest $(echo "$BULKHEAD_PEERS_ARGS" | tr @ ' ') --out "$BULKHEAD_OUT" >"$BULKHEAD_OUT/guest.log"
code=$?
# What the engines left: their processes, mounts under the work directory,
# interfaces besides lo (dockerd leaves docker0 and its iptables rules by design:
# both removed here, and counted only if removing them fails).
left="$BULKHEAD_OUT/leftovers.txt"
: >"$left"
for p in dockerd containerd containerd-shim containerd-shim-runc-v2 podman conmon bulkheadd docker-registry; do
  pgrep -x "$p" >/dev/null 2>&1 && echo "process $p still running: $(pgrep -x "$p" | tr '\n' ' ')" >>"$left"
done
grep -q ' /tmp/bulkhead-peers' /proc/mounts && echo "mounts left: $(grep ' /tmp/bulkhead-peers' /proc/mounts | cut -d' ' -f2 | tr '\n' ' ')" >>"$left"
ip link del docker0 2>/dev/null
ip link del cni-podman0 2>/dev/null
ip link del bulkhead0 2>/dev/null
links=$(ip -o link show | awk -F': ' '{print $2}' | grep -v '^lo$' | tr '\n' ' ')
[ -n "$links" ] && echo "interfaces left: $links" >>"$left"
[ -e /tmp/bulkhead-peers ] && echo "work directory /tmp/bulkhead-peers not removed" >>"$left"
# What the engines wrote outside their directories, kept in the overlays' uppers
# (never on the host): listed in guest.log for the record.
{ echo "written under /etc, /var/lib, /root (kept in the guest):"; (cd /run && find peers-overlay_*/upper -mindepth 1 -maxdepth 3 | sort); } >>"$BULKHEAD_OUT/guest.log"
echo $code >"$BULKHEAD_OUT/status"
sync
halt -f
