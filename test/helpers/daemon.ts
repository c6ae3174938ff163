// A real bulkheadd process for a test: a temporary socket, data root and pid
// file, the busybox rootfs as image "busybox"; the stock docker CLI pointed at
// it (DOCKER_HOST), raw HTTP over the socket, and a teardown that stops the
// daemon and checks it left no cgroup behind.
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';
import { discoverCgroupCached } from '../../lib/cgroup/discover';
import { tableName } from '../../lib/network/nat/ruleset';
import { Netlink } from '../../lib/network/netlink/socket';
import { Rtnl } from '../../lib/network/netlink/route';

const FORWARD = '/proc/sys/net/ipv4/ip_forward';

/**
 * What a daemon's networks leave on the host after it stops, as dockerd leaves
 * docker0: the bridges of the root's networks (its default one at least) and
 * its nftables table. Removed, and ip_forward put back as it was.
 */
export function cleanupNetworks(root: string, forward: string): void {
  const dir = path.join(root, 'networks');
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    // No network was ever made.
  }
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  for (const n of names) {
    const bridge = (JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as { bridge: string }).bridge;
    const rt = new Rtnl(Netlink.open());
    const l = rt.link(bridge);
    if (l) rt.deleteLink(l.index);
    rt.nl.close();
  }
  try {
    execFileSync('nft', ['delete', 'table', 'ip', tableName(root)], { stdio: 'ignore' });
  } catch {
    // No table: nothing was ever published or the kernel lacks nftables.
  }
  if (fs.readFileSync(FORWARD, 'utf8') !== forward) fs.writeFileSync(FORWARD, forward);
}

export const DAEMON = path.resolve(__dirname, '..', '..', 'lib', 'daemon', 'main.js');

export interface Daemon {
  dir: string;
  sock: string;
  root: string;
  pidfile: string;
  proc: ChildProcess;
  log: () => string;
  cgroupParent: string;
  docker: (args: string[], opts?: { input?: string; timeoutMs?: number }) => Promise<{ code: number; stdout: string; stderr: string }>;
  api: (method: string, p: string, body?: string | Buffer | object, headers?: Record<string, string>) => Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; json: () => unknown }>;
  stop: () => Promise<number | null>;
  kill9: () => Promise<void>;
  restart: () => Promise<void>;
}

export function dockerMissing(): string | null {
  try {
    require('node:child_process').execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'the docker CLI is not installed (apt-get install docker-cli, or docker-ce-cli)';
  }
}

function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > end) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 25);
    };
    tick();
  });
}

export async function startDaemon(t: Test, rootfs: string, extra: string[] = [], reuse?: { dir: string }): Promise<Daemon> {
  const dir = reuse?.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bulkheadd-'));
  const sock = path.join(dir, 'docker.sock');
  const root = path.join(dir, 'root');
  const pidfile = path.join(dir, 'bulkheadd.pid');
  const mountpoint = discoverCgroupCached().mountpoint ?? '/sys/fs/cgroup';
  const cgroupParent = path.join(mountpoint, 'bulkhead', `engine-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
  let logText = '';
  const forward = fs.readFileSync(FORWARD, 'utf8');
  const d: Daemon = {
    dir,
    sock,
    root,
    pidfile,
    proc: null as unknown as ChildProcess,
    cgroupParent,
    log: () => logText,
    docker: (args, opts = {}) =>
      new Promise((resolve) => {
        const c = execFile('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(dir, 'docker-config') }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
        if (opts.input !== undefined) c.stdin!.end(opts.input);
        else c.stdin!.end();
      }),
    api: (method, p, body, headers = {}) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.isBuffer(body) || typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
        const req = http.request({ socketPath: sock, method, path: p, headers: { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            const text = Buffer.concat(parts).toString();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) as unknown });
          });
        });
        req.on('error', reject);
        // A refused large body may meet a closed socket after the answer came: that
        // EPIPE is no failure of the request (its answer was read), so not thrown.
        req.on('socket', (sock) => sock.on('error', () => undefined));
        req.end(data);
      }),
    stop: async () => {
      if (d.proc.exitCode !== null || d.proc.signalCode !== null) return d.proc.exitCode;
      const done = new Promise<number | null>((r) => d.proc.once('exit', (c) => r(c)));
      d.proc.kill('SIGTERM');
      return done;
    },
    kill9: async () => {
      if (d.proc.exitCode !== null || d.proc.signalCode !== null) return;
      const done = new Promise<void>((r) => d.proc.once('exit', () => r()));
      d.proc.kill('SIGKILL');
      await done;
    },
    restart: async () => {
      launch();
      await waitFor(() => fs.existsSync(sock) && /API listen/.test(logText), 30_000, 'bulkheadd to listen again');
    },
  };
  const launch = () => {
    logText = '';
    d.proc = spawn(process.execPath, [DAEMON, '-H', `unix://${sock}`, '--data-root', root, '-p', pidfile, '--rootfs-image', `busybox=${rootfs}`, '--shutdown-timeout', '2', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    d.proc.stderr!.on('data', (c: Buffer) => (logText += c.toString()));
  };
  launch();
  await waitFor(() => /API listen/.test(logText) || d.proc.exitCode !== null, 30_000, 'bulkheadd to listen');
  if (d.proc.exitCode !== null) throw new Error(`bulkheadd exited ${d.proc.exitCode}: ${logText}`);
  if (!reuse) {
    t.teardown(async () => {
      await d.stop();
      cleanupNetworks(root, forward);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
  return d;
}

/** Why docker-compose cannot run here, or null. */
export function composeMissing(): string | null {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'docker-compose is not installed (apt-get install docker-compose)';
  }
}

/** docker-compose (1.29) in project directory dir against daemon d: its exit code and its output, stdout then stderr. */
export function composeIn(d: Daemon, dir: string): (args: string[]) => Promise<{ code: number; out: string }> {
  return (args) =>
    new Promise((resolve) => {
      execFile('docker-compose', ['--no-ansi', ...args], { cwd: dir, env: { ...process.env, DOCKER_HOST: `unix://${d.sock}`, COMPOSE_INTERACTIVE_NO_CLI: '1' }, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
}
