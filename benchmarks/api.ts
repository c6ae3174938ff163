// `node dist/benchmarks/api.js [--n N]`: what `docker ps` costs through
// bulkheadd with 505 containers against 5, side by side in one run, as ratios:
//  - `docker ps` (running ones only: the engine walks its running set) and
//    `docker ps -a` (every container: one summary each), with the stock CLI;
//  - the same two requests as raw HTTP over the socket (no CLI start-up).
// The 500 extra containers are created, never started (so the machine's CPUs
// are not the measure). Prints a table and writes benchmarks/results/api.json.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, execFile } from 'node:child_process';
import { makeBusyboxRootfs } from '../support/rootfs';
import { median, p95 } from './stats';
import { api } from './peers-engines';

const arg = (flag: string, dflt: number): number => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};


const docker = (sock: string, args: string[]) =>
  new Promise<void>((resolve, reject) => execFile('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${sock}` } }, (err) => (err ? reject(err) : resolve())));

async function time(n: number, op: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await op();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await op();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

async function main(): Promise<void> {
  const n = arg('--n', 20);
  const rootfs = makeBusyboxRootfs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-api-bench-'));
  const sock = path.join(dir, 'docker.sock');
  const daemon = spawn(process.execPath, [path.join(__dirname, '..', 'lib', 'daemon', 'main.js'), '-H', `unix://${sock}`, '--data-root', path.join(dir, 'root'), '-p', path.join(dir, 'pid'), '--rootfs-image', `busybox=${rootfs.dir}`, '--shutdown-timeout', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  daemon.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  try {
    for (let i = 0; i < 200 && !/API listen/.test(log); i++) await new Promise((r) => setTimeout(r, 50));
    if (!/API listen/.test(log)) throw new Error(`bulkheadd did not start: ${log}`);
    for (let i = 0; i < 5; i++) {
      const c = await api(sock, 'POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['sleep', '1000'] });
      await api(sock, 'POST', `/v1.43/containers/${(JSON.parse(c.text) as { Id: string }).Id}/start`);
    }
    const measure = async () => ({
      ps: await time(n, () => docker(sock, ['ps', '-q'])),
      psAll: await time(n, () => docker(sock, ['ps', '-aq'])),
      api: await time(n * 5, () => api(sock, 'GET', '/v1.43/containers/json')),
      apiAll: await time(n * 5, () => api(sock, 'GET', '/v1.43/containers/json?all=1')),
    });
    const small = await measure();
    for (let i = 0; i < 500; i++) await api(sock, 'POST', '/v1.43/containers/create', { Image: 'busybox', Cmd: ['true'] });
    const big = await measure();
    const rows = (['ps', 'psAll', 'api', 'apiAll'] as const).map((k) => ({
      what: { ps: 'docker ps', psAll: 'docker ps -a', api: 'GET /containers/json', apiAll: 'GET /containers/json?all=1' }[k],
      ms5: median(small[k]),
      ms505: median(big[k]),
      p95_505: p95(big[k]),
      ratio: median(big[k]) / median(small[k]),
    }));
    console.log('what                          5 (ms)  505 (ms)  505 p95  ratio');
    for (const r of rows) console.log(`${r.what.padEnd(28)} ${r.ms5.toFixed(2).padStart(7)} ${r.ms505.toFixed(2).padStart(9)} ${r.p95_505.toFixed(2).padStart(8)} ${r.ratio.toFixed(2).padStart(6)}x`);
    const out = path.join(__dirname, '..', '..', 'benchmarks', 'results', 'api.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), n, cpus: os.availableParallelism(), loadavg: os.loadavg(), rows }, null, 2) + '\n');
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
    rootfs.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
