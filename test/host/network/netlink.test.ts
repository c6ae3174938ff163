// The netlink seam on the real kernel: a namespace of its own, a bridge and a
// veth pair made and removed over rtnetlink (no `ip`), one end moved into the
// namespace, and a process spawned into it that sees exactly that.
import * as fs from 'node:fs';
import t from 'tap';
import { spawn } from '../../../lib/index';
import { native } from '../../../lib/native/load';
import { Netlink, NetlinkError } from '../../../lib/network/netlink/socket';
import { Rtnl } from '../../../lib/network/netlink/route';
import { withBusyboxRoot } from '../../helpers/tier';

withBusyboxRoot((rootfs) => {
  const tag = `t${process.pid % 100000}`;
  const host = new Rtnl(Netlink.open());
  t.teardown(() => {
    for (const n of [`bh${tag}`, `vh${tag}`]) {
      const l = host.link(n);
      if (l) host.deleteLink(l.index);
    }
    host.nl.close();
  });

  t.test('a netns from the addon, configured over netlink, joined by spawn', async (t) => {
    const ns = native().netnsCreate();
    t.teardown(() => fs.closeSync(ns));
    const inside = new Rtnl(Netlink.open(ns));
    t.teardown(() => inside.nl.close());
    t.same(inside.links().map((l) => l.name), ['lo'], 'a new namespace has only lo');
    inside.setLink(inside.link('lo')!.index, { up: true });

    host.createBridge(`bh${tag}`);
    const br = host.link(`bh${tag}`)!;
    t.equal(br.kind, 'bridge');
    host.addAddress(br.index, '10.213.7.1', 24);
    host.setLink(br.index, { up: true });
    // The peer is created straight inside the namespace, under a temporary name, then renamed.
    host.createVeth(`vh${tag}`, `vc${tag}`, ns);
    const vh = host.link(`vh${tag}`)!;
    t.equal(vh.kind, 'veth');
    t.notOk(host.link(`vc${tag}`), 'the peer is not in the host namespace');
    host.setLink(vh.index, { master: br.index, up: true });
    t.equal(host.link(`vh${tag}`)!.master, br.index, 'enslaved to the bridge');
    const peer = inside.link(`vc${tag}`)!;
    inside.setLink(peer.index, { name: 'eth0' });
    inside.addAddress(peer.index, '10.213.7.2', 24);
    inside.setLink(peer.index, { up: true });
    inside.addDefaultRoute('10.213.7.1', peer.index);
    t.ok(inside.routes().some((r) => r.dstLength === 0 && r.gateway === '10.213.7.1'), 'default route listed');
    t.ok(inside.addresses().some((a) => a.address === '10.213.7.2' && a.prefixLength === 24), 'address listed');

    const err = t.throws(() => host.createBridge(`bh${tag}`)) as NetlinkError;
    t.equal(err.code, 'EEXIST', 'a second bridge of the same name is refused with EEXIST');
    t.match(err.message, `create bridge bh${tag}`);

    const r = await spawn('/bin/sh', ['-c', 'ls /sys/class/net; cat /sys/class/net/eth0/operstate; readlink /proc/self/ns/net; ping -c1 -W2 10.213.7.1 >/dev/null && echo reached'], {
      rootfs,
      env: { PATH: '/bin' },
      netns: ns,
      capAdd: ['NET_RAW'],
    });
    const lines = (r.stdout ?? '').trim().split('\n');
    t.same(lines.slice(0, 2), ['eth0', 'lo'], 'the program sees the prepared links');
    t.equal(lines[2], 'up');
    t.equal(lines[3], fs.readlinkSync(`/proc/self/fd/${ns}`), 'it is in the prepared namespace');
    t.equal(lines[4], 'reached', 'its first packet reaches the bridge address');

    host.deleteLink(vh.index);
    t.same(inside.links().map((l) => l.name), ['lo'], 'deleting one end removes the other');
    host.deleteLink(br.index);
    t.notOk(host.link(`bh${tag}`), 'bridge gone');
  });

  t.test('netns option is checked before anything runs', async (t) => {
    t.throws(() => spawn('/bin/true', [], { netns: -1 }), RangeError);
    t.throws(() => spawn('/bin/true', [], { netns: 3, namespaces: { net: false } }), RangeError);
    t.throws(() => spawn('/bin/true', [], { netns: 3, namespaces: { user: true } }), RangeError);
  });
});
