// Networks on the real kernel, in a data root and an nftables table of the
// test's own, with addresses only in 10.213.0.0/16 on bridges and namespaces
// the test makes: create/rm and bad input, two containers by name, isolation
// (with a control), published ports from the host's 127.0.0.1 and from an
// "outside" namespace, NAT outbound to a server in that namespace, other
// tables untouched, 100 concurrent runs and a SIGKILLed run leave nothing.
import { spawn as cpSpawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { network, spawn } from '../../../lib/index';
import { native } from '../../../lib/native/load';
import { Netlink } from '../../../lib/network/netlink/socket';
import { readRecord } from '../../../lib/network/state/records';
import { Rtnl } from '../../../lib/network/netlink/route';
import { tableName } from '../../../lib/network/nat/ruleset';
import { nftBinary } from '../../../lib/network/nat/nft';
import { needRoot, requirementMissing } from '../../helpers/tier';
import { nft, recordFile, rulesetOutside, startServer, tcpFrom, useTestRoot, vethsLeft } from '../../helpers/network';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');

if (needRoot()) {
  if (!nftBinary()) requirementMissing('nft is missing: apt-get install nftables');
  else main();
}

function main() {
  const { root, cleanup } = useTestRoot();
  const table = tableName();
  const forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const outsideBefore = rulesetOutside(table);
  const host = new Rtnl(Netlink.open());
  const tag = (process.pid % 10000).toString();
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BULKHEAD_ROOT: root } });

  // The "outside": a namespace of the test's own behind a veth, 10.213.99.1 (host) / .2 (outside).
  const outside = native().netnsCreate();
  const hostEnd = `bho${tag}`;
  host.createVeth(hostEnd, 'eth0', outside);
  const he = host.link(hostEnd)!;
  host.addAddress(he.index, '10.213.99.1', 24);
  host.setLink(he.index, { up: true });
  {
    const o = new Rtnl(Netlink.open(outside));
    const lo = o.link('lo')!;
    const e = o.link('eth0')!;
    o.setLink(lo.index, { up: true });
    o.addAddress(e.index, '10.213.99.2', 24);
    o.setLink(e.index, { up: true });
    o.nl.close();
  }
  const outsideNs = { netns: outside };

  t.teardown(() => {
    for (const n of network.listNetworks()) if (n.name !== 'bridge') network.removeNetwork(n.name);
    const l = host.link(hostEnd);
    if (l) host.deleteLink(l.index);
    fs.closeSync(outside);
    spawnSync('nft', ['delete', 'table', 'ip', table]);
    const br = host.link(network.defaultBridge());
    if (br && fs.existsSync(recordFile(root, 'bridge'))) host.deleteLink(br.index);
    host.nl.close();
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
    cleanup();
  });

  t.test('create, ls, inspect, rm; bad input is one line and creates nothing', async (t) => {
    const n = network.createNetwork({ name: 'a', subnet: '10.213.1.0/24', labels: { team: 'x' } });
    t.equal(n.gateway, '10.213.1.1');
    t.match(n.bridge, /^bh-[0-9a-f]{12}$/);
    const br = host.link(n.bridge)!;
    t.ok(br && br.up && br.kind === 'bridge', 'bridge up');
    t.ok(host.addresses().some((a) => a.index === br.index && a.address === '10.213.1.1' && a.prefixLength === 24), 'gateway address on it');
    t.ok(fs.existsSync(recordFile(root, 'a')), 'record written');
    const links = () => host.links().map((l) => l.name).sort();
    const before = links();
    const files = () => fs.readdirSync(path.join(root, 'networks')).sort();
    const fbefore = files();
    t.throws(() => network.createNetwork({ name: 'b', subnet: '10.213.1.128/25' }), { message: '--subnet 10.213.1.128/25 overlaps 10.213.1.0/24 of network a' });
    const hostRoute = host.routes().find((r) => r.table === 254 && r.dstLength > 0 && !host.links().find((l) => l.index === r.oif)?.name.startsWith('bh'));
    if (hostRoute) t.throws(() => network.createNetwork({ name: 'b', subnet: `${hostRoute.dst}/${hostRoute.dstLength}` }), { message: /overlaps .* of a host route on / });
    t.throws(() => network.createNetwork({ name: 'b', subnet: '10.213.2.0/24', gateway: '10.213.3.1' }), { message: '--gateway 10.213.3.1 is outside --subnet 10.213.2.0/24 (or its network or broadcast address)' });
    t.throws(() => network.createNetwork({ name: 'a', subnet: '10.213.2.0/24' }), { message: 'network a already exists' });
    t.throws(() => network.createNetwork({ name: 'host' }), { message: /reserved/ });
    t.throws(() => network.createNetwork({ name: 'bad/name' }), RangeError);
    t.throws(() => network.createNetwork({ name: 'b', subnet: '10.213.2.1/24' }), { message: /no host bits/ });
    t.throws(() => network.removeNetwork('nope'), { message: 'network nope not found' });
    t.same(links(), before, 'no interface made by bad input');
    t.same(files(), fbefore, 'no record made by bad input');
    const r = cli(['network', 'create', '--subnet', '10.213.1.0/26', 'c']);
    t.equal(r.status, 125);
    t.equal(r.stderr, 'bulkhead network: --subnet 10.213.1.0/26 overlaps 10.213.1.0/24 of network a\n', 'CLI: one line');
    t.match(cli(['network', 'ls']).stdout, /^NETWORK ID +NAME +DRIVER +SUBNET +CONTAINERS\n[0-9a-f]{12} +a +bridge +10\.213\.1\.0\/24 +0\n$/);
    t.same(JSON.parse(cli(['network', 'inspect', 'a']).stdout)[0].labels, { team: 'x' });
    t.equal(cli(['network', 'rm', 'a']).stdout, 'a\n');
    t.notOk(host.link(n.bridge), 'bridge gone');
    t.notOk(fs.existsSync(recordFile(root, 'a')), 'record gone');
  });

  t.test('two containers on one network talk TCP by name, alias and address; another network cannot reach them', async (t) => {
    network.createNetwork({ name: 'n1', subnet: '10.213.10.0/24' });
    network.createNetwork({ name: 'n2', subnet: '10.213.20.0/24' });
    const srv = await network.connect('n1', { name: 'srv', aliases: ['db'] });
    const cl = await network.connect('n1', { name: 'cl' });
    const other = await network.connect('n2', { name: 'other' });
    t.teardown(() => [srv, cl, other].forEach((e) => e.release()));
    t.equal(srv.ip, '10.213.10.2');
    t.equal(cl.ip, '10.213.10.3');
    // The interface's Ethernet address: Docker's 02:42 and the IPv4 bytes, as the kernel shows it inside.
    const macInside = async (ep: { netns: number }) => ((await spawn('/usr/sbin/ip', ['-o', 'link', 'show', 'eth0'], { netns: ep.netns })).stdout ?? '').match(/link\/ether (\S+)/)?.[1];
    t.equal(srv.mac, '02:42:0a:d5:0a:02');
    t.equal(await macInside(srv), '02:42:0a:d5:0a:02', 'eth0 has it');
    t.equal(network.inspectNetwork('n1').containers.find((c) => c.name === 'srv')?.mac, '02:42:0a:d5:0a:02', 'the record keeps it');
    const fixed = await network.connect('n1', { name: 'fixed', mac: '0E:AA:BB:CC:DD:EE' });
    t.teardown(() => fixed.release());
    t.equal(await macInside(fixed), '0e:aa:bb:cc:dd:ee', 'a given address, lower-cased as the kernel shows it');
    for (const bad of ['01:00:5e:00:00:01', '00:00:00:00:00:00', '02:42:0a', 'zz:42:0a:d5:0a:02']) {
      await t.rejects(network.connect('n1', { name: 'badmac', mac: bad }), RangeError, `--mac-address ${bad} refused`);
    }
    t.notOk(network.inspectNetwork('n1').containers.some((c) => c.name === 'badmac'), 'a refused address leaves no lease');
    const s = await startServer(srv, 7000, 'srv');
    t.teardown(() => s.kill('SIGKILL'));
    t.equal(await tcpFrom(cl, 'srv', 7000), 'srv 10.213.10.3', 'by name: the peer is the client itself, no NAT inside a network');
    t.equal(await tcpFrom(cl, 'db', 7000), 'srv 10.213.10.3', 'by alias');
    t.equal(await tcpFrom(cl, srv.id.slice(0, 12), 7000), 'srv 10.213.10.3', 'by short id');
    t.equal(await tcpFrom(cl, '10.213.10.2', 7000), 'srv 10.213.10.3', 'by address');
    t.equal(await tcpFrom(other, 'srv', 7000), 'ENOTFOUND', 'names of another network are unknown');
    // ip_forward is on (connect turned it on): only Bulkhead's forward rules keep the networks apart.
    t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1');
    t.equal(await tcpFrom(other, '10.213.10.2', 7000), 'TIMEOUT', 'another network cannot reach it');
    // Control: without the forward rules the same connection goes through.
    nft('flush', 'chain', 'ip', table, 'forward');
    try {
      t.match(await tcpFrom(other, '10.213.10.2', 7000), /^srv /, 'control: it works with the isolation rules flushed');
    } finally {
      network.resyncRules();
    }
    t.equal(await tcpFrom(other, '10.213.10.2', 7000), 'TIMEOUT', 'isolated again once the table is rewritten');
  });

  t.test('published ports: 127.0.0.1 and every address from the host, the outside namespace only where published', async (t) => {
    const lo = await network.connect('n1', { name: 'web-lo', ports: [{ hostIp: '127.0.0.1', hostPort: 18080 + Number(tag) % 1000, containerPort: 80, proto: 'tcp' }] });
    const any = await network.connect('n1', { name: 'web-any', ports: [{ hostIp: '', containerPort: 80, proto: 'tcp' }] });
    t.teardown(() => [lo, any].forEach((e) => e.release()));
    const s1 = await startServer(lo, 80, 'lo');
    const s2 = await startServer(any, 80, 'any');
    t.teardown(() => [s1, s2].forEach((s) => s.kill('SIGKILL')));
    const pLo = lo.ports[0].hostPort;
    const pAny = any.ports[0].hostPort;
    t.ok(pAny >= 1024, `a free port was chosen: ${pAny}`);
    t.match(nft('list', 'table', 'ip', table), `ip daddr 127.0.0.1 tcp dport ${pLo} dnat to ${lo.ip}:80`);
    t.match(await tcpFrom(undefined, '127.0.0.1', pLo), /^lo /, 'from the host to 127.0.0.1');
    t.match(await tcpFrom(undefined, '127.0.0.1', pAny), /^any /, 'from the host to 127.0.0.1 (published on every address)');
    t.match(await tcpFrom(outsideNs, '10.213.99.1', pAny), /^any 10\.213\.99\.2$/, 'from the outside namespace, with its own address as the peer');
    t.equal(await tcpFrom(outsideNs, '10.213.99.1', pLo), 'ECONNREFUSED', 'not on an address it was not published on');
    t.match(await tcpFrom(lo, '10.213.10.1', pAny), /^any 10\.213\.10\.1$/, 'hairpin: from a container of the same network through the gateway address');
    // The same port again, and one a process holds, are refused naming the value before anything is made.
    const veths = vethsLeft().length;
    await t.rejects(network.connect('n1', { ports: [{ hostIp: '', hostPort: pAny, containerPort: 80, proto: 'tcp' }] }), { message: `-p ${pAny}/tcp: host port ${pAny} is already published by container web-any` });
    const holder = require('node:net').createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    const held = holder.address().port;
    await t.rejects(network.connect('n1', { ports: [{ hostIp: '', hostPort: held, containerPort: 80, proto: 'tcp' }] }), { message: new RegExp(`host port ${held} is in use by node \\(pid ${process.pid}\\)`) });
    holder.close();
    await t.rejects(network.connect('n1', { ip: lo.ip }), { message: `--ip ${lo.ip} is taken on network n1 by container web-lo` });
    await t.rejects(network.connect('n1', { ip: '10.213.11.2' }), { message: "--ip 10.213.11.2 is outside network n1's subnet 10.213.10.0/24" });
    await t.rejects(network.connect('nope', {}), { message: '--network nope: no such network' });
    t.equal(vethsLeft().length, veths, 'refused requests made no veth');
  });

  t.test('outbound from a container reaches a server in the outside namespace through NAT', async (t) => {
    const c = await network.connect('n1', { name: 'out' });
    t.teardown(() => c.release());
    const s = await startServer({ ...c, netns: outside, mounts: [] } as never, 9000, 'outside');
    t.teardown(() => s.kill('SIGKILL'));
    // The outside has no route to 10.213.10.0/24: only masquerading lets the reply come back.
    t.equal(await tcpFrom(c, '10.213.99.2', 9000), 'outside 10.213.99.1', 'the server sees the host\'s address');
    const internal = network.createNetwork({ name: 'int', subnet: '10.213.30.0/24', internal: true });
    const ic = await network.connect('int', { name: 'in' });
    t.teardown(() => ic.release());
    t.equal(internal.internal, true);
    t.match(await tcpFrom(ic, '10.213.99.2', 9000), /^(ENETUNREACH|TIMEOUT)$/, 'an internal network has no way out');
  });

  t.test('embedded DNS: PTR, AAAA empty, unknown names forwarded to the upstream', async (t) => {
    const dnsPacket = require('dns-packet');
    const dgram = require('node:dgram');
    const { startDnsServer } = require('../../../lib/network/dns/server');
    const up = dgram.createSocket('udp4');
    up.on('message', (m: Buffer, r: { port: number; address: string }) => {
      const q = dnsPacket.decode(m);
      up.send(dnsPacket.encode({ id: q.id, type: 'response', questions: q.questions, answers: [{ type: 'A', name: q.questions[0].name, data: '10.213.77.7' }] }), r.port, r.address);
    });
    await new Promise<void>((r) => up.bind(0, '127.0.0.1', () => r()));
    const e = await network.connect('n1', { name: 'ptrme', serveDns: false });
    const srv = await startDnsServer({ network: 'n1', address: '127.0.0.1', port: 15353 + (Number(tag) % 1000), upstream: [`127.0.0.1:${up.address().port}`] });
    t.teardown(() => { srv.close(); up.close(); e.release(); });
    const ask = (name: string, type: string) => new Promise<any>((resolve) => {
      const c = dgram.createSocket('udp4');
      c.on('message', (m: Buffer) => { c.close(); resolve(dnsPacket.decode(m)); });
      c.send(dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), 15353 + Number(tag) % 1000, '127.0.0.1');
    });
    const ptr = await ask(`${e.ip.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
    t.equal(ptr.answers[0]?.data, 'ptrme', 'PTR of a container address');
    const aaaa = await ask('ptrme', 'AAAA');
    t.same(aaaa.answers, [], 'AAAA: none');
    t.equal(aaaa.rcode, 'NOERROR');
    const fwd = await ask('example.test', 'A');
    t.equal(fwd.answers[0]?.data, '10.213.77.7', 'forwarded to the upstream');
  });

  t.test('the default network: bulkhead0, Docker\'s 172.17.0.0/16 unless taken', async (t) => {
    const taken = host.routes().some((r) => r.table === 254 && r.dstLength > 0 && r.dst.startsWith('172.17.'));
    if (host.link(network.defaultBridge()) && !fs.existsSync(recordFile(root, 'bridge'))) return t.pass('skipped: the bridge belongs to another data root on this host');
    const e = await network.connect('bridge', { name: 'plain' });
    t.teardown(() => e.release());
    const n = network.inspectNetwork('bridge');
    t.equal(n.bridge, network.defaultBridge());
    if (!taken) t.equal(n.subnet, '172.17.0.0/16');
    t.throws(() => network.removeNetwork('bridge'), { message: 'bridge is a pre-defined network and cannot be removed' });
    t.match(fs.readFileSync(e.files!.resolvConf, 'utf8'), /^nameserver /, 'resolv.conf: the host\'s resolvers, no embedded DNS');
    t.notMatch(fs.readFileSync(e.files!.resolvConf, 'utf8'), /nameserver 127\./, 'no loopback resolver');
  });

  t.test('100 runs started and stopped concurrently leave no veth, lease, rule or file behind', async (t) => {
    const N = 100;
    const veths = vethsLeft().length;
    let next = 0;
    let ok = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const code = await new Promise<number>((resolve) => {
          const p = cpSpawn(process.execPath, [CLI, 'run', '--network', 'n1', '--name', `c${i}`, '-p', '127.0.0.1::80', '--', 'true'], { env: { ...process.env, BULKHEAD_ROOT: root }, stdio: 'ignore' });
          p.on('exit', (c) => resolve(c ?? 1));
        });
        if (code === 0) ok++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    t.equal(ok, N, 'every run succeeded');
    const rec = readRecord('n1')!;
    t.same(Object.values(rec.endpoints).map((e: any) => e.name).filter((n: string) => /^c\d+$/.test(n)), [], 'no lease left');
    t.equal(vethsLeft().length, veths, 'no veth left');
    t.notMatch(nft('list', 'table', 'ip', table), /dnat to 10\.213\.10\.\d+:80\b(?![\s\S]*web)/, 'no DNAT rule of theirs left');
    t.equal(fs.readdirSync(path.join(root, 'run', 'endpoints')).length, Object.keys(rec.endpoints).length, 'no per-container files left');
  });

  t.test('no address is given twice: 8 processes attaching 6 containers each at once', async (t) => {
    const lib = path.resolve(__dirname, '..', '..', '..', 'lib', 'network', 'index.js');
    const script = `const n=require(${JSON.stringify(lib)});(async()=>{const eps=[];for(let i=0;i<6;i++)eps.push(await n.connect('n1',{serveDns:false}));console.log(eps.map(e=>e.ip).join(' '));process.stdin.on('end',()=>{eps.forEach(e=>e.release());process.exit(0)});process.stdin.resume()})().catch(e=>{console.log('ERR '+e.message);process.exit(1)})`;
    const procs = Array.from({ length: 8 }, () => cpSpawn(process.execPath, ['-e', script], { env: { ...process.env, BULKHEAD_ROOT: root }, stdio: ['pipe', 'pipe', 'inherit'] }));
    const lines = await Promise.all(procs.map((p) => new Promise<string>((resolve) => p.stdout!.once('data', (b) => resolve(String(b).trim())))));
    const ips = lines.join(' ').split(' ');
    t.equal(ips.length, 48, lines.join(' | '));
    t.equal(new Set(ips).size, 48, 'every address is distinct while all are held');
    const held = network.inspectNetwork('n1').containers.length;
    t.ok(held >= 48, `the record lists them (${held})`);
    await Promise.all(procs.map((p) => new Promise((resolve) => { p.on('exit', resolve); p.stdin!.end(); })));
    t.equal(network.inspectNetwork('n1').containers.length, held - 48, 'all released');
  });

  t.test('SIGKILL of the starting process: the next command reclaims everything', async (t) => {
    const p = cpSpawn(process.execPath, [CLI, 'run', '--network', 'n1', '--name', 'victim', '-p', '127.0.0.1::80', '--', 'sleep', '1000'], { env: { ...process.env, BULKHEAD_ROOT: root }, stdio: 'ignore' });
    let victim: any;
    for (let i = 0; i < 100 && !victim; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const rec = readRecord('n1')!;
      victim = Object.values(rec.endpoints).find((e: any) => e.name === 'victim');
    }
    t.ok(victim, 'the container is attached');
    // The port's DNAT rule is written after the lease: wait for it, not a fixed time.
    for (let i = 0; i < 200 && !nft('list', 'table', 'ip', table).includes(`dnat to ${victim.ip}:80`); i++) await new Promise((r) => setTimeout(r, 50));
    t.match(nft('list', 'table', 'ip', table), `dnat to ${victim.ip}:80`);
    p.kill('SIGKILL');
    await new Promise((r) => p.on('exit', r));
    const r = cli(['network', 'inspect', 'n1']);
    t.equal(r.status, 0);
    t.notOk(JSON.parse(r.stdout)[0].containers.some((c: any) => c.name === 'victim'), 'lease reclaimed');
    t.notOk(host.link(victim.hostVeth), 'veth gone');
    t.notMatch(nft('list', 'table', 'ip', table), `dnat to ${victim.ip}:80`, 'DNAT rule gone');
    t.notOk(fs.existsSync(path.join(root, 'run', 'endpoints', victim.id)), 'files gone');
    // Addresses are handed out serially (a released one is not given again at once): asked for, it is free.
    const again = await network.connect('n1', { name: 'reuse', ip: victim.ip });
    t.equal(again.ip, victim.ip, 'its address is free again');
    again.release();
  });

  t.test('spawnOnNetwork: attached for the run, released at the exit; a stale temp file is swept', async (t) => {
    const stale = path.join(root, 'networks', 'n1.json.tmp-999999999');
    fs.writeFileSync(stale, '{"half":');
    const { proc, endpoint } = await network.spawnOnNetwork('n1', 'sh', ['-c', 'cat /sys/class/net/eth0/operstate; cat /etc/hostname'], { hostname: 'box', network: { name: 'once' } });
    t.equal(endpoint.name, 'once');
    const r = await proc;
    t.equal(r.stdout, 'up\nbox\n');
    await new Promise((res) => setImmediate(res));
    t.notOk(network.inspectNetwork('n1').containers.some((c) => c.name === 'once'), 'released after the exit');
    t.notOk(host.link(endpoint.hostVeth), 'its veth is gone');
    t.notOk(fs.existsSync(stale), 'the dead writer\'s temp file is gone');
  });

  t.test('network rm refuses while containers are attached, naming them; prune', async (t) => {
    const e = await network.connect('n2', { name: 'stay' });
    t.throws(() => network.removeNetwork('n2'), { message: /network n2 has containers attached: .*stay/ });
    e.release();
    t.same(network.pruneNetworks().sort(), ['int', 'n1', 'n2']);
    t.same(vethsLeft(), [], 'no veth');
    t.equal(rulesetOutside(table), outsideBefore, 'every other nftables table is as it was');
  });
}
