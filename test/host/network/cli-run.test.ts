// `bulkhead run`'s network flags end to end, in a data root of the test's own.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { network } from '../../../lib/index';
import { nftBinary } from '../../../lib/network/nat/nft';
import { needRoot, requirementMissing } from '../../helpers/tier';
import { useTestRoot, vethsLeft } from '../../helpers/network';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

if (needRoot()) {
  if (!nftBinary()) requirementMissing('nft is missing: apt-get install nftables');
  else main();
}

function main() {
  const { root, cleanup } = useTestRoot();
  const forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'run', ...args], { encoding: 'utf8', env: { ...process.env, BULKHEAD_ROOT: root } });
  network.createNetwork({ name: 'f', subnet: '10.213.50.0/24' });
  t.teardown(() => {
    network.pruneNetworks();
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
    cleanup();
  });

  t.test('--ip, --hostname, --add-host, --network-alias, -P with --expose', async (t) => {
    const r = run('--network', 'f', '--ip', '10.213.50.77', '--hostname', 'box', '--network-alias', 'www', '--add-host', 'db.local:10.213.50.200', '-P', '--expose', '80', '--', 'sh', '-c', 'cat /etc/hosts /etc/hostname /etc/resolv.conf');
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /^10\.213\.50\.200\tdb\.local$/m, '--add-host');
    t.match(r.stdout, /^10\.213\.50\.77\tbox www$/m, '--ip, --hostname and the alias in /etc/hosts');
    t.match(r.stdout, /^box$/m, '/etc/hostname');
    t.match(r.stdout, /^nameserver 10\.213\.50\.1$/m, 'the embedded DNS on the gateway');
    t.match(r.stderr, /^bulkhead: published 80\/tcp -> 0\.0\.0\.0:\d+$/m, '-P published the exposed port on a free host port');
  });

  t.test('--mac-address; by default 02:42 and the address\'s bytes', async (t) => {
    const given = run('--network', 'f', '--mac-address', '0E:11:22:33:44:55', '--', 'cat', '/sys/class/net/eth0/address');
    t.equal(given.stdout, '0e:11:22:33:44:55\n', given.stderr);
    const derived = run('--network', 'f', '--ip', '10.213.50.78', '--', 'cat', '/sys/class/net/eth0/address');
    t.equal(derived.stdout, '02:42:0a:d5:32:4e\n', derived.stderr);
  });

  t.test('bad network flags: one line, exit 125, nothing made', async (t) => {
    const veths = vethsLeft().length;
    const bad = (args: string[], msg: RegExp) => {
      const r = run(...args, '--', 'true');
      t.equal(r.status, 125, args.join(' '));
      t.match(r.stderr, msg);
      t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    };
    bad(['--network', 'f', '-p', '90-80:80-90'], /port range 90-80 is backwards/);
    bad(['--network', 'f', '--ip', '10.213.51.9'], /--ip 10\.213\.51\.9 is outside network f's subnet 10\.213\.50\.0\/24/);
    bad(['--network', 'host', '-p', '80'], /--publish needs a network, not --network host/);
    bad(['--network', 'f', '--add-host', 'nohost'], /--add-host "nohost" must be HOST:IP/);
    bad(['--network', 'f', '--dns', 'x.y'], /--dns "x.y" is not an IPv4 address/);
    bad(['--network', 'missing'], /--network missing: no such network/);
    bad(['--network', 'f', '--mac-address', '01:00:5e:00:00:01'], /--mac-address 01:00:5e:00:00:01 is a multicast address/);
    bad(['--network', 'none', '--mac-address', '0e:11:22:33:44:55'], /--mac-address needs a network, not --network none/);
    t.equal(vethsLeft().length, veths, 'no veth made');
    t.same(network.inspectNetwork('f').containers, [], 'no lease made');
  });
}
