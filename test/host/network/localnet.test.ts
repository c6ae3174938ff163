// route_localnet on a bridge (needed to publish ports on the host's 127.0.0.1)
// must not open the host's loopback to containers (CVE-2020-8558): a container
// crafts a UDP datagram for 127.0.0.1 with CAP_NET_RAW, one of Docker's default
// capabilities. Bulkhead's input rule drops it; the control, with that rule
// flushed, shows the host's loopback-only socket receiving it. (A TCP SYN gets
// there too, though this kernel then refuses to route the loopback-sourced
// SYN-ACK back: a one-way datagram is the clear proof.)
import * as fs from 'node:fs';
import * as dgram from 'node:dgram';
import * as path from 'node:path';
import t from 'tap';
import { network, spawn } from '../../../lib/index';
import { nftBinary } from '../../../lib/network/nat/nft';
import { tableName } from '../../../lib/network/nat/ruleset';
import { needRoot, requirementMissing } from '../../helpers/tier';
import { nft, useTestRoot } from '../../helpers/network';

const SCRIPT = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'network', 'localnet-udp.py');

if (needRoot()) {
  if (!nftBinary()) requirementMissing('nft is missing: apt-get install nftables');
  else if (!fs.existsSync('/usr/bin/python3')) requirementMissing('python3 is missing (it crafts the frame)');
  else main();
}

function main() {
  const { cleanup } = useTestRoot();
  const forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  t.teardown(() => {
    network.pruneNetworks();
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
    cleanup();
  });

  t.test('a container cannot reach the host\'s 127.0.0.1 through the bridge', async (t) => {
    const n = network.createNetwork({ name: 'ln', subnet: '10.213.60.0/24' });
    t.equal(fs.readFileSync(`/proc/sys/net/ipv4/conf/${n.bridge}/route_localnet`, 'utf8').trim(), '1', 'route_localnet is on (published ports on 127.0.0.1 need it)');
    const sock = dgram.createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    t.teardown(() => sock.close());
    const port = sock.address().port;
    const ep = await network.connect('ln', { name: 'attacker' });
    t.teardown(() => ep.release());
    const mac = fs.readFileSync(`/sys/class/net/${n.bridge}/address`, 'utf8').trim();
    const attack = async () => {
      got.length = 0;
      // Bound in by name: the embedded default shows neither /tmp nor the homes, where a checkout may live.
      const r = await spawn('/usr/bin/python3', ['/opt/localnet-udp.py', mac, String(port), ep.ip], { netns: ep.netns, mounts: [...(ep.mounts ?? []), { type: 'bind', source: SCRIPT, target: '/opt/localnet-udp.py', readonly: true }] });
      if (r.stdout?.trim() !== 'sent') throw new Error(`the frame was not sent: ${r.stdout} ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 500));
      return got.length ? got.join(',') : 'NONE';
    };
    t.equal(await attack(), 'NONE', 'the datagram to 127.0.0.1 is dropped');
    nft('flush', 'chain', 'ip', tableName(), 'input');
    try {
      t.equal(await attack(), 'pwned', 'control: with the input rule flushed the host\'s loopback-only socket receives it');
    } finally {
      network.resyncRules();
    }
    t.equal(await attack(), 'NONE', 'closed again once the table is rewritten');
  });
}
