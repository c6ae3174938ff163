// `node dist/benchmarks/network.js [--n 40] [--mb 256]` as root: what a bridge
// network costs. (1) Start latency of /bin/true: a new empty network namespace
// (--network none) against one attached to a bridge network (namespace, veth,
// address, route, lease, files, and their removal). (2) TCP throughput between
// two containers on one bridge network against a plain veth pair between two
// namespaces. Side by side in one run, reported as ratios; writes
// benchmarks/results/network.md. Uses a data root and table of its own.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from '../lib/index';
import { native } from '../lib/native/load';
import * as network from '../lib/network/index';
import { Netlink } from '../lib/network/netlink/socket';
import { Rtnl } from '../lib/network/netlink/route';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 40);
const MB = arg('mb', 256);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

const SINK = 'let n=0;require("net").createServer(s=>{s.on("data",b=>n+=b.length);s.on("end",()=>s.end(String(n)))}).listen(5001,"0.0.0.0",()=>console.log("up"))';
const SOURCE = `const s=require("net").connect(5001,process.argv[1]);const b=Buffer.alloc(1<<20);let left=${MB};const t0=process.hrtime.bigint();function w(){while(left>0){left--;if(!s.write(b))return s.once("drain",w)}s.end()}s.on("connect",w);s.on("data",()=>{console.log(Number(process.hrtime.bigint()-t0)/1e6)})`;

async function throughput(serverNs: number, clientNs: number, addr: string): Promise<number> {
  const sink = spawn(process.execPath, ['-e', SINK], { netns: serverNs, reject: false, buffer: false });
  await new Promise<void>((r) => sink.stdout?.once('data', () => r()));
  const r = await spawn(process.execPath, ['-e', SOURCE, addr], { netns: clientNs });
  sink.kill('SIGKILL');
  await sink;
  return MB / (Number((r.stdout ?? '').trim()) / 1000);
}

async function main() {
  const root = fs.mkdtempSync('/var/tmp/bulkhead-bench-net-');
  process.env.BULKHEAD_ROOT = root;
  const forward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const lines: string[] = [];
  const made: Array<() => void> = [];
  try {
    network.createNetwork({ name: 'bench', subnet: '10.213.97.0/24' });
    made.push(() => network.removeNetwork('bench'));
    // (1) start latency, alternating so that drift hits both rows alike
    const none: number[] = [];
    const bridged: number[] = [];
    const attach: number[] = [];
    const release: number[] = [];
    const spawnOnNs: number[] = [];
    for (let i = 0; i < N + 5; i++) {
      let t0 = now();
      await spawn('/bin/true', []);
      if (i >= 5) none.push(now() - t0);
      // As the engine does it: the /etc files in the container's own directory
      // (made at create, removed with the container: outside the timing), the
      // endpoint released lazily after the exit (the namespace's teardown removes the veth).
      const dir = fs.mkdtempSync(path.join(root, 'c-'));
      t0 = now();
      const ep = await network.connect('bench', { serveDns: false, filesDir: dir });
      const t1 = now();
      await spawn('/bin/true', [], { netns: ep.netns, mounts: ep.mounts });
      const t2 = now();
      ep.release({ lazy: true });
      const t3 = now();
      if (i >= 5) {
        bridged.push(t3 - t0);
        attach.push(t1 - t0);
        spawnOnNs.push(t2 - t1);
        release.push(t3 - t2);
      }
      fs.rmSync(dir, { recursive: true });
    }
    const a = median(none);
    const b = median(bridged);
    lines.push(`| start /bin/true, --network none | ${a.toFixed(2)} ms | 1.00x |`);
    lines.push(`| start /bin/true, on a bridge network (attach + spawn + release) | ${b.toFixed(2)} ms | ${(b / a).toFixed(2)}x |`);
    lines.push(`| of which: attach (lease, veth, address, route, /etc files) | ${median(attach).toFixed(2)} ms | |`);
    lines.push(`| of which: spawn joining the namespace, with the three /etc binds | ${median(spawnOnNs).toFixed(2)} ms | ${(median(spawnOnNs) / a).toFixed(2)}x |`);
    lines.push(`| of which: release (lease; the veth goes with the namespace) | ${median(release).toFixed(2)} ms | |`);

    // (2) throughput
    const s = await network.connect('bench', { serveDns: false });
    const c = await network.connect('bench', { serveDns: false });
    made.push(() => { s.release(); c.release(); });
    const nsA = native().netnsCreate();
    const nsB = native().netnsCreate();
    made.push(() => { fs.closeSync(nsA); fs.closeSync(nsB); });
    const ra = new Rtnl(Netlink.open(nsA));
    ra.createVeth('pa', 'pb', nsB);
    const rb = new Rtnl(Netlink.open(nsB));
    for (const [rt, name, ip] of [[ra, 'pa', '10.213.96.1'], [rb, 'pb', '10.213.96.2']] as const) {
      rt.setLink(rt.link('lo')!.index, { up: true });
      const l = rt.link(name)!;
      rt.addAddress(l.index, ip, 24);
      rt.setLink(l.index, { up: true });
      rt.nl.close();
    }
    const veth: number[] = [];
    const bridge: number[] = [];
    for (let i = 0; i < 3; i++) {
      veth.push(await throughput(nsB, nsA, '10.213.96.2'));
      bridge.push(await throughput(s.netns, c.netns, s.ip));
    }
    const v = median(veth);
    const br = median(bridge);
    lines.push(`| TCP, ${MB} MiB node to node, plain veth pair | ${v.toFixed(0)} MiB/s | 1.00x |`);
    lines.push(`| TCP, ${MB} MiB node to node, two containers on a bridge network | ${br.toFixed(0)} MiB/s | ${(br / v).toFixed(2)}x |`);
  } finally {
    for (const f of made.reverse()) f();
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
    fs.rmSync(root, { recursive: true, force: true });
  }
  const report = `# Networks\n\nMedians; start latency over ${N} spawns each (alternating), throughput over 3 transfers each. Host: ${fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, shared 2-core VM.\n\n| case | median | ratio |\n|---|---|---|\n${lines.join('\n')}\n`;
  process.stdout.write(report);
  fs.mkdirSync(path.join(__dirname, '..', '..', 'benchmarks', 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, '..', '..', 'benchmarks', 'results', 'network.md'), report);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
