// bulkheadd's networks driven by the stock docker CLI: network create, ls
// (filters), inspect, rm, connect, disconnect, prune; two containers on a user
// network reach each other by name, alias and short id, one on another network
// cannot (and can once connected); a port published on 127.0.0.1 is reachable
// from the host; Docker's errors (name in use, overlapping subnet, in use 409
// naming the containers, unknown network 404); a SIGKILLed daemon's endpoints
// reclaimed; and the host as it was: other nftables tables, interfaces,
// ip_forward.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { withBusyboxRoot, requirementMissing } from '../../helpers/tier';
import { cleanupNetworks, dockerMissing, startDaemon } from '../../helpers/daemon';
import { nftBinary } from '../../../lib/network/nat/nft';
import { tableName } from '../../../lib/network/nat/ruleset';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every nftables table but Bulkhead's own (other data roots' included: other tests may run beside this one). */
function rulesetOutsideBulkhead(): string {
  const text = execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
  return text
    .split(/^(?=table )/m)
    .filter((b) => !/^table ip bulkhead(_[0-9a-f]{8})? /.test(b))
    .join('');
}

const ourLinks = (bridges: string[]) => fs.readdirSync('/sys/class/net').filter((n) => bridges.includes(n));
const veths = () => fs.readdirSync('/sys/class/net').filter((n) => /^vb[0-9a-f]{8}$/.test(n));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(b));
    });
    req.on('timeout', () => req.destroy(new Error('TIMEOUT')));
    req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
  });
}

// A busybox httpd serving one page: "hello from <name>".
const SERVE = (name: string) => ['sh', '-c', `mkdir -p /www && echo "hello from ${name}" > /www/index.html && exec httpd -f -p 80 -h /www`];
// A raw HTTP request with nc (busybox wget -T crashes on a timeout): the page, or nothing.
const FETCH = (host: string) => ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} 80 | tail -n 1; true`];

function main(rootfs: string) {
  t.test('docker network create/ls/inspect/rm/connect/disconnect/prune, names across containers, isolation, -p, errors, SIGKILL', async (t) => {
    const rulesBefore = rulesetOutsideBulkhead();
    const vethsBefore = veths();
    const forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const d = await startDaemon(t, rootfs);
    const docker = async (...args: string[]) => {
      const r = await d.docker(args);
      return { ...r, out: r.stdout.trim() };
    };

    // ---- create, ls, inspect, and their errors
    const made = await docker('network', 'create', '--subnet', '10.214.61.0/24', '--label', 'team=a', 'app');
    t.equal(made.code, 0, made.stderr);
    t.match(made.out, /^[0-9a-f]{64}$/, 'create prints the id');
    const ls = await docker('network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}');
    t.equal(ls.out, 'app bridge local\nbridge bridge local\nhost host local\nnone null local');
    t.equal((await docker('network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}}')).out, 'app', 'label filter');
    t.equal((await docker('network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}')).out, 'app', 'type filter');
    t.equal((await docker('network', 'ls', '-q', '--filter', `id=${made.out.slice(0, 6)}`)).out, made.out.slice(0, 12), 'id filter');
    const insp = JSON.parse((await docker('network', 'inspect', 'app')).out)[0];
    t.match(insp, { Name: 'app', Id: made.out, Driver: 'bridge', Scope: 'local', Internal: false, IPAM: { Driver: 'default', Config: [{ Subnet: '10.214.61.0/24', Gateway: '10.214.61.1' }] }, Labels: { team: 'a' } });
    const bridgeName = insp.Options['com.docker.network.bridge.name'] as string;
    t.ok(fs.existsSync(`/sys/class/net/${bridgeName}`), `its bridge ${bridgeName} exists`);
    t.equal(JSON.parse((await docker('network', 'inspect', made.out.slice(0, 8))).out)[0].Name, 'app', 'inspect by id prefix');

    const dup = await docker('network', 'create', 'app');
    t.not(dup.code, 0);
    t.match(dup.stderr, /network with name app already exists/);
    const overlap = await docker('network', 'create', '--subnet', '10.214.61.128/25', 'clash');
    t.not(overlap.code, 0);
    t.match(overlap.stderr, /10\.214\.61\.128\/25 overlaps 10\.214\.61\.0\/24 of network app/);
    // (the CLI checks this one itself: through the API)
    const badGw = await d.api('POST', '/v1.43/networks/create', { Name: 'badgw', IPAM: { Config: [{ Subnet: '10.214.63.0/24', Gateway: '10.214.64.1' }] } });
    t.equal(badGw.status, 400);
    t.match(badGw.json(), { message: /gateway 10\.214\.64\.1 is outside/ });
    t.match((await docker('network', 'inspect', 'nosuch')).stderr, /network nosuch not found/);
    t.match((await d.api('GET', '/v1.43/networks/nosuch')).status, 404);
    t.match((await docker('network', 'rm', 'nosuch')).stderr, /network nosuch not found/);
    t.match((await docker('network', 'rm', 'bridge')).stderr, /bridge is a pre-defined network and cannot be removed/);
    t.equal((await d.api('DELETE', '/v1.43/networks/bridge')).status, 403);
    const unknownRun = await docker('run', '--rm', '--network', 'nosuch', 'busybox', 'true');
    t.not(unknownRun.code, 0);
    t.match(unknownRun.stderr, /network nosuch not found/);
    t.equal((await docker('network', 'ls', '-q', '--filter', 'name=clash')).out, '', 'nothing made by the refused creates');

    // ---- two containers on app: by name, alias and short id
    const web = await docker('run', '-d', '--name', 'web', '--network', 'app', '--network-alias', 'www', 'busybox', ...SERVE('web'));
    t.equal(web.code, 0, web.stderr);
    await sleep(300);
    for (const host of ['web', 'www', web.out.slice(0, 12)]) {
      const r = await docker('run', '--rm', '--network', 'app', 'busybox', ...FETCH(host));
      t.equal(r.out, 'hello from web', `reached by ${host === 'www' ? 'alias' : host === 'web' ? 'name' : 'short id'} from the same network`);
    }
    const wi = JSON.parse((await docker('inspect', 'web')).out)[0];
    const wnet = wi.NetworkSettings.Networks.app;
    t.match(wnet, { NetworkID: made.out, Gateway: '10.214.61.1', IPPrefixLen: 24, Aliases: ['www'] });
    t.match(wnet.IPAddress, /^10\.214\.61\.\d+$/);
    t.match(wnet.EndpointID, /\S/);
    t.equal(wi.HostConfig.NetworkMode, 'app');
    // The MAC address: 02:42 then the IPv4 address's bytes (moby's GenerateMACFromIP), as eth0 has it.
    const macOf = (ip: string) => ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
    t.equal(wnet.MacAddress, macOf(wnet.IPAddress), 'inspect gives the MAC address');
    t.equal((await docker('exec', 'web', 'cat', '/sys/class/net/eth0/address')).out, wnet.MacAddress, 'eth0 has it');
    // A given address: Config.MacAddress (API 1.43), or the endpoint's (as 1.44 has it, where
    // the docker CLI 28 always puts --mac-address, and so refuses it against 1.43).
    const cat = ['cat', '/sys/class/net/eth0/address'];
    const withMac = await d.api('POST', '/v1.43/containers/create?name=mac1', { Image: 'busybox', Cmd: cat, MacAddress: '0E:11:22:33:44:55', HostConfig: { NetworkMode: 'app' } });
    t.equal(withMac.status, 201, withMac.body);
    t.equal((await docker('start', '-a', 'mac1')).out, '0e:11:22:33:44:55', 'Config.MacAddress is eth0\'s');
    const perEndpoint = await d.api('POST', '/containers/create?name=mac2', { Image: 'busybox', Cmd: cat, HostConfig: { NetworkMode: 'app' }, NetworkingConfig: { EndpointsConfig: { app: { MacAddress: '0e:11:22:33:44:56' } } } });
    t.equal(perEndpoint.status, 201, perEndpoint.body);
    t.equal((await docker('start', '-a', 'mac2')).out, '0e:11:22:33:44:56', 'EndpointsConfig.app.MacAddress likewise');
    t.equal((await docker('rm', 'mac1', 'mac2')).code, 0);
    const multicast = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', MacAddress: '01:00:5e:00:00:01', HostConfig: { NetworkMode: 'app' } });
    t.equal(multicast.status, 400);
    t.match(multicast.json(), { message: /MacAddress 01:00:5e:00:00:01 is a multicast address/ });
    const macHost = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', MacAddress: '0e:11:22:33:44:55', HostConfig: { NetworkMode: 'host' } });
    t.equal(macHost.status, 400);
    t.match(macHost.json(), { message: /conflicting options: mac-address and the network mode/ });
    const otherNet = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'app' }, NetworkingConfig: { EndpointsConfig: { bridge: { MacAddress: '0e:11:22:33:44:57' } } } });
    t.equal(otherNet.status, 400, 'a MAC address for a network other than NetworkMode\'s is refused, not dropped');
    const driverOpts = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'app' }, NetworkingConfig: { EndpointsConfig: { app: { DriverOpts: { 'com.docker.network.endpoint.sysctls': 'net.ipv4.conf.IFNAME.forwarding=1' } } } } });
    t.equal(driverOpts.status, 400);
    t.match(driverOpts.json(), { message: /EndpointsConfig\.app\.DriverOpts is not supported by bulkheadd/ }, 'an endpoint setting not applied is refused, not dropped');
    const onApp = JSON.parse((await docker('network', 'inspect', 'app')).out)[0].Containers;
    t.same(Object.values(onApp).map((c) => (c as { Name: string; IPv4Address: string }).Name), ['web'], 'network inspect lists the running container');
    t.equal((Object.values(onApp)[0] as { IPv4Address: string }).IPv4Address, `${wnet.IPAddress}/24`);
    t.equal((Object.values(onApp)[0] as { MacAddress: string }).MacAddress, wnet.MacAddress, 'and its MAC address');
    t.equal((Object.values(onApp)[0] as { EndpointID: string }).EndpointID, wnet.EndpointID, 'and the EndpointID docker inspect gives');
    // --dns-search and --dns-option land in resolv.conf, an ndots given over the embedded DNS's ndots:0.
    const rc = await docker('run', '--rm', '--network', 'app', '--dns-search', 'corp.example', '--dns-option', 'ndots:2', '--dns-option', 'edns0', 'busybox', 'cat', '/etc/resolv.conf');
    t.equal(rc.out, 'nameserver 10.214.61.1\nsearch corp.example\noptions ndots:2 edns0', rc.stderr);
    const none = await docker('run', '--rm', '--network', 'none', '--dns-search', 'corp.example', 'busybox', 'true');
    t.not(none.code, 0, '--dns-search with --network none is refused, not dropped');
    const hosts = await docker('exec', 'web', 'cat', '/etc/hosts');
    t.match(hosts.out, new RegExp(`${wnet.IPAddress.replace(/\./g, '\\.')}\\s+${web.out.slice(0, 12)} www`), '/etc/hosts has its own name');

    // ---- --network container:web: web's own interfaces, ports and resolver (a sidecar)
    const side = await docker('run', '--rm', '--network', 'container:web', 'busybox', 'sh', '-c', `ip -4 -o addr show eth0 | grep -o '${wnet.IPAddress.replace(/\./g, '\\.')}'; ${FETCH('127.0.0.1')[2]}; grep nameserver /etc/resolv.conf; hostname`);
    t.equal(side.out, `${wnet.IPAddress}\nhello from web\nnameserver 10.214.61.1\n${web.out.slice(0, 12)}`, `web's address, its server on localhost, its resolver, its hostname (${side.stderr})`);
    t.equal(JSON.stringify(JSON.parse((await docker('inspect', 'web')).out)[0].NetworkSettings.Networks.app.IPAddress), JSON.stringify(wnet.IPAddress), 'web keeps its endpoint');
    const noTarget = await docker('run', '--rm', '--network', 'container:nosuch', 'busybox', 'true');
    t.not(noTarget.code, 0);
    t.match(noTarget.stderr, /No such container: nosuch/);
    t.equal((await docker('create', '--name', 'stopped1', 'busybox', 'true')).code, 0);
    const notRunning = await docker('run', '--rm', '--network', 'container:stopped1', 'busybox', 'true');
    t.not(notRunning.code, 0);
    t.match(notRunning.stderr, /cannot join network of a non running container/);
    const sideDns = await d.api('POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'container:web', Dns: ['10.0.0.1'] } });
    t.equal(sideDns.status, 400);
    t.match(sideDns.json(), { message: /conflicting options: dns and the network mode/ });
    t.equal((await docker('rm', 'stopped1')).code, 0);

    // ---- another network cannot reach it; connect makes it reachable there, disconnect undoes it
    t.equal((await docker('network', 'create', '--subnet', '10.214.62.0/24', 'other')).code, 0);
    const across = await docker('run', '--rm', '--network', 'other', 'busybox', ...FETCH(wnet.IPAddress));
    t.equal(across.out, '', 'not reachable from another network by address');
    const noName = await docker('run', '--rm', '--network', 'other', 'busybox', 'sh', '-c', 'nslookup web >/dev/null 2>&1; echo $?');
    t.not(noName.out, '0', 'its name is not known on another network');
    const connMac = await d.api('POST', '/v1.43/networks/other/connect', { Container: 'web', EndpointConfig: { MacAddress: '0e:11:22:33:44:58' } });
    t.equal(connMac.status, 400, 'connect with a MAC address: refused, not dropped');
    t.match(connMac.json(), { message: /EndpointConfig\.MacAddress on network connect is not supported/ });
    const conn = await docker('network', 'connect', '--alias', 'web2', 'other', 'web');
    t.equal(conn.code, 0, conn.stderr);
    const wo = JSON.parse((await docker('inspect', 'web')).out)[0].NetworkSettings.Networks.other;
    t.match(wo.IPAddress, /^10\.214\.62\.\d+$/, 'an address on the second network');
    t.equal((await docker('run', '--rm', '--network', 'other', 'busybox', ...FETCH('web2'))).out, 'hello from web', 'connected: reached by its alias there (the control)');
    t.match((await docker('exec', 'web', 'ip', '-4', '-o', 'addr')).out, /eth1\s+inet 10\.214\.62\./, 'as eth1 inside');
    // Names of its second network resolve inside it too, through the DNS of its
    // first (Docker's embedded DNS answers across a container's networks).
    const peer = await docker('run', '-d', '--name', 'peer', '--network', 'other', 'busybox', ...SERVE('peer'));
    t.equal(peer.code, 0, peer.stderr);
    await sleep(300);
    t.equal((await docker('exec', 'web', ...FETCH('peer'))).out, 'hello from peer', 'a name on its second network resolves inside it and is reached');
    const disc = await docker('network', 'disconnect', 'other', 'web');
    t.equal(disc.code, 0, disc.stderr);
    t.not((await docker('exec', 'web', 'sh', '-c', 'nslookup peer >/dev/null 2>&1; echo $?')).out, '0', 'disconnected: the second network\'s names no longer resolve');
    t.equal((await docker('rm', '-f', 'peer')).code, 0);
    t.equal((await docker('run', '--rm', '--network', 'other', 'busybox', ...FETCH(wo.IPAddress))).out, '', 'disconnected: unreachable again');
    t.notMatch((await docker('exec', 'web', 'ip', '-4', '-o', 'addr')).out, /eth1/, 'eth1 gone');
    // A stopped container: connect is recorded and takes effect at its start.
    t.equal((await docker('create', '--name', 'idle', '--network', 'app', 'busybox', 'sh', '-c', 'ip -4 -o addr')).code, 0);
    t.equal((await docker('network', 'connect', 'other', 'idle')).code, 0);
    const idleOut = await docker('start', '-a', 'idle');
    t.match(idleOut.out, /eth0\s+inet 10\.214\.61\./);
    t.match(idleOut.out, /eth1\s+inet 10\.214\.62\./, 'connected while stopped: attached at start');

    // ---- rm while in use: 409 naming the containers
    const busy = await d.api('DELETE', '/v1.43/networks/app');
    t.equal(busy.status, 409);
    t.match(busy.json(), { message: /has active endpoints \(.*name:"web".*\)/ });
    t.match((await docker('network', 'rm', 'other')).stderr, /name:"idle"/, 'a stopped container configured on it counts');

    // ---- restart keeps the container on its network; a port published on 127.0.0.1 reaches it from the host
    t.equal((await docker('restart', '-t', '0', 'web')).code, 0);
    await sleep(300);
    t.equal((await docker('run', '--rm', '--network', 'app', 'busybox', ...FETCH('web'))).out, 'hello from web', 'after a restart');
    const port = await freePort();
    const pub = await docker('run', '-d', '--name', 'pub', '-p', `127.0.0.1:${port}:80`, 'busybox', ...SERVE('pub'));
    t.equal(pub.code, 0, pub.stderr);
    await sleep(300);
    t.equal((await httpGet(port)).trim(), 'hello from pub', `-p 127.0.0.1:${port}:80 reachable from the host`);
    t.equal((await docker('ps', '--filter', 'name=pub', '--format', '{{.Ports}}')).out, `127.0.0.1:${port}->80/tcp`, 'docker ps PORTS');
    t.equal((await docker('port', 'pub')).out, `80/tcp -> 127.0.0.1:${port}`);
    const pi = JSON.parse((await docker('inspect', 'pub')).out)[0];
    t.same(pi.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    t.equal(pi.HostConfig.NetworkMode, 'bridge', 'the default network is bridge');
    t.match(pi.NetworkSettings.IPAddress, /^\d+\.\d+\.\d+\.\d+$/, 'the default bridge\'s address at the top level, as dockerd');
    t.equal((await docker('rm', '-f', 'pub')).code, 0);
    // -P publishes every exposed port on a free one; --add-host and --dns reach the container's files.
    const all = await docker('run', '-d', '--name', 'allp', '-P', '--expose', '81', '--add-host', 'db.example:10.9.8.7', '--dns', '10.9.8.53', 'busybox', 'sleep', '1000');
    t.equal(all.code, 0, all.stderr);
    t.match((await docker('port', 'allp')).out, /^81\/tcp -> 0\.0\.0\.0:\d+$/, '-P: the exposed port on a free host port');
    t.match((await docker('exec', 'allp', 'cat', '/etc/hosts')).out, /10\.9\.8\.7\s+db\.example/, '--add-host');
    t.equal((await docker('exec', 'allp', 'cat', '/etc/resolv.conf')).out, 'nameserver 10.9.8.53', '--dns on the default bridge');
    t.equal((await docker('rm', '-f', 'allp')).code, 0);
    t.equal(await httpGet(port), 'ECONNREFUSED', 'the DNAT rule went with the container');
    const inUse = await docker('run', '--rm', '-p', `127.0.0.1:${port}:80`, '-p', `127.0.0.1:${port}:81`, 'busybox', 'true');
    t.not(inUse.code, 0);
    t.match(inUse.stderr, /already published/, 'one host port twice is refused');

    // ---- SIGKILL of the daemon: its endpoints are reclaimed at the next start
    await d.kill9();
    await d.restart();
    t.same(veths().filter((v) => !vethsBefore.includes(v)), [], 'no veth left after the kill and restart');
    t.same(JSON.parse((await docker('network', 'inspect', 'app')).out)[0].Containers, {}, 'no endpoint left on app');
    t.equal((await docker('start', 'web')).code, 0);
    await sleep(300);
    t.equal((await docker('run', '--rm', '--network', 'app', 'busybox', ...FETCH('web'))).out, 'hello from web', 'started again after recovery');

    // ---- prune and rm
    t.equal((await docker('network', 'create', 'spare')).code, 0);
    t.equal((await docker('rm', '-f', 'web', 'idle')).code, 0);
    const pr = await docker('network', 'prune', '-f');
    t.equal(pr.code, 0, pr.stderr);
    t.match(pr.out, /app/);
    t.match(pr.out, /other/);
    t.match(pr.out, /spare/);
    t.equal((await docker('network', 'ls', '--format', '{{.Name}}')).out, 'bridge\nhost\nnone', 'the predefined ones stay');
    t.same(ourLinks([bridgeName]), [], 'the pruned networks\' bridges are gone');

    // ---- the host as it was
    const defaultBridge = JSON.parse((await docker('network', 'inspect', 'bridge')).out)[0].Options['com.docker.network.bridge.name'] as string;
    await d.stop();
    cleanupNetworks(d.root, forward);
    t.same(ourLinks([defaultBridge, bridgeName]), [], 'no bridge left');
    t.same(veths().filter((v) => !vethsBefore.includes(v)), [], 'no veth left');
    t.notOk(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(tableName(d.root)), 'no table left');
    t.equal(rulesetOutsideBulkhead(), rulesBefore, 'every other nftables table untouched');
    t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), forward, 'ip_forward as it was');
  });
}

if (dockerMissing()) requirementMissing(dockerMissing()!);
else if (!nftBinary()) requirementMissing('nft is missing: apt-get install nftables');
else withBusyboxRoot(main);
