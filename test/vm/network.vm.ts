// Networks in User-Mode Linux, a kernel of their own where nothing else runs.
// Debian's UML kernel (6.1) builds nf_tables with the bridge family only: its
// config (/usr/share/doc/user-mode-linux/config.gz) has CONFIG_NF_TABLES=m and
// CONFIG_NF_TABLES_BRIDGE=m, but CONFIG_NF_TABLES_IPV4, CONFIG_NF_TABLES_INET
// and CONFIG_NF_TABLES_NETDEV unset. Those families are compiled into
// nf_tables.ko itself (net/netfilter/Kconfig: bool options of NF_TABLES), so no
// module can add them: with nf_tables loaded from /usr/lib/uml/modules, `nft
// add table ip` and `nft add table inet` both fail (the probe below loads it
// and tries both, and the skip names each failure). Bulkhead's `table ip`
// cannot exist there and a network refuses to be made (fail closed), so this
// file skips with that reason; everything is proven on the host tier instead
// (test/host/network/network.test.ts), in a table and namespaces of its own.
import './guest-only';
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { network } from '../../lib/index';
import { native } from '../../lib/native/load';
import { Netlink } from '../../lib/network/netlink/socket';
import { readRecord } from '../../lib/network/state/records';
import { Rtnl } from '../../lib/network/netlink/route';
import { startServer, tcpFrom, useTestRoot, vethsLeft } from '../helpers/network';

const CLI = path.resolve(__dirname, '..', '..', 'lib', 'cli', 'main.js');

// nf_tables from the guest's module tree (guest-setup.sh binds it under /run/kmod; the kernel's own autoload looks in /lib/modules, which has the host's).
if (fs.existsSync('/run/kmod')) spawnSync('modprobe', ['-d', '/run/kmod', 'nf_tables'], { stdio: 'ignore' });
const family = (f: string) => {
  const r = spawnSync('nft', ['-f', '-'], { input: `table ${f} bulkhead_probe\ndelete table ${f} bulkhead_probe\n`, encoding: 'utf8' });
  return r.status === 0 ? undefined : `${f}: ${(r.stderr || String(r.error)).trim().split('\n')[0]}`;
};
const ipMissing = family('ip');
const missing = ipMissing === undefined ? undefined : `this kernel has no nftables ip family, nor inet (CONFIG_NF_TABLES_IPV4 and CONFIG_NF_TABLES_INET unset; built into nf_tables.ko, no module adds them): ${[ipMissing, family('inet') ?? 'inet: works', family('bridge') ?? 'bridge: works'].join('; ')}`;

t.test('internal networks: by name inside one, nothing across two, 30 concurrent runs leave nothing', { skip: missing }, async (t) => {
  const { root, cleanup } = useTestRoot();
  t.teardown(() => {
    for (const n of network.listNetworks()) network.removeNetwork(n.name);
    cleanup();
  });
  network.createNetwork({ name: 'v1', subnet: '10.213.40.0/24', internal: true });
  network.createNetwork({ name: 'v2', subnet: '10.213.41.0/24', internal: true });
  const srv = await network.connect('v1', { name: 'srv' });
  const cl = await network.connect('v1', { name: 'cl' });
  const other = await network.connect('v2', { name: 'other' });
  const s = await startServer(srv, 7000, 'srv');
  t.equal(await tcpFrom(cl, 'srv', 7000), 'srv 10.213.40.3', 'by name on one network');
  t.match(await tcpFrom(other, '10.213.40.2', 7000), /^(ENETUNREACH|TIMEOUT)$/, 'not from another network');
  s.kill('SIGKILL');
  for (const e of [srv, cl, other]) e.release();
  t.same(vethsLeft(), [], 'released: no veth');

  const N = 30;
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const code = await new Promise<number>((resolve) => {
        const p = cpSpawn(process.execPath, [CLI, 'run', '--network', 'v1', '--name', `c${i}`, '--', 'true'], { env: { ...process.env, BULKHEAD_ROOT: root }, stdio: 'ignore' });
        p.on('exit', (c) => resolve(c ?? 1));
      });
      if (code === 0) ok++;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  t.equal(ok, N, 'every run succeeded');
  t.same(Object.keys(readRecord('v1')!.endpoints), [], 'no lease left');
  t.same(vethsLeft(), [], 'no veth left');
  t.same(fs.readdirSync(path.join(root, 'run', 'endpoints')), [], 'no per-container files left');
});

// What needs no nftables runs here in full: the netlink seam and spawn joining
// a prepared namespace, on this kernel (6.1) as on the host's.
t.test('netlink seam on this kernel: a bridge, two namespaces on it, TCP between programs that joined them', async (t) => {
  const host = new Rtnl(Netlink.open());
  const nsA = native().netnsCreate();
  const nsB = native().netnsCreate();
  t.teardown(() => {
    for (const n of ['bhvm0', 'vbvmA', 'vbvmB']) {
      const l = host.link(n);
      if (l) host.deleteLink(l.index);
    }
    host.nl.close();
    fs.closeSync(nsA);
    fs.closeSync(nsB);
  });
  host.createBridge('bhvm0');
  const br = host.link('bhvm0')!;
  host.setLink(br.index, { up: true });
  for (const [ns, name, ip] of [[nsA, 'vbvmA', '10.213.42.2'], [nsB, 'vbvmB', '10.213.42.3']] as const) {
    host.createVeth(name, 'eth0', ns);
    host.setLink(host.link(name)!.index, { master: br.index, up: true });
    const inside = new Rtnl(Netlink.open(ns));
    inside.setLink(inside.link('lo')!.index, { up: true });
    const e = inside.link('eth0')!;
    inside.addAddress(e.index, ip, 24);
    inside.setLink(e.index, { up: true });
    inside.nl.close();
  }
  const s = await startServer({ netns: nsB, mounts: [] } as never, 7000, 'vm');
  t.equal(await tcpFrom({ netns: nsA }, '10.213.42.3', 7000), 'vm 10.213.42.2');
  s.kill('SIGKILL');
  host.deleteLink(host.link('vbvmA')!.index);
  t.notOk(host.link('vbvmA'), 'deleted');
});
