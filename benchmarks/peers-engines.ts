// The contenders of the peers benchmark (benchmarks/peers.ts), started inside the
// User-Mode Linux guest only: bulkheadd, Debian's dockerd (with its own
// containerd) and podman, each on a socket, data root and state directories of
// its own under one work directory on the guest's tmpfs. Commands are timed whole
// (client start-up included), as a user types them.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROJECT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(PROJECT, 'dist', 'lib', 'cli', 'main.js');
export const DAEMON = path.join(PROJECT, 'dist', 'lib', 'daemon', 'main.js');

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs argv to its end; with check (the default) a non-zero exit throws with the command's last stderr lines. */
export function exec(argv: string[], opts: { env?: NodeJS.ProcessEnv; check?: boolean; timeoutMs?: number; label?: string } = {}): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0 && opts.check !== false) {
        const tail = stderr.trim().split('\n').slice(-4).join(' | ') || stdout.trim().split('\n').slice(-4).join(' | ');
        const label = opts.label ?? [path.basename(argv[0]), ...argv.slice(1, 4)].join(' ');
        reject(new Error(`\`${label}\` exited ${code}: ${tail}`));
        return;
      }
      resolve({ code, stdout, stderr, ms });
    });
  });
}

/** One HTTP request over a unix socket (the Engine API), JSON body. */
export function api(sock: string, method: string, p: string, body?: object): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body ? Buffer.from(JSON.stringify(body)) : undefined;
    const req = http.request({ socketPath: sock, method, path: p, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** An Engine API daemon (bulkheadd or dockerd) driven by the stock docker CLI. */
export interface DockerApi {
  name: string;
  sock: string;
  env: NodeJS.ProcessEnv;
  docker(args: string[], opts?: { check?: boolean; env?: NodeJS.ProcessEnv }): Promise<Exec>;
  stop(): Promise<void>;
}

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, proc: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited ${proc.exitCode ?? proc.signalCode}: ${log().trim().split('\n').slice(-5).join(' | ')}`);
    try {
      if (await ok()) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s: ${log().trim().split('\n').slice(-5).join(' | ')}`);
}

function clientEnv(dir: string, sock: string): NodeJS.ProcessEnv {
  // The CLI's own config directory: nothing under the (overlaid) /root.
  fs.mkdirSync(path.join(dir, 'docker-config'), { recursive: true });
  return { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(dir, 'docker-config'), DOCKER_CLI_HINTS: 'false' };
}

function daemonHandle(name: string, dir: string, sock: string, proc: ChildProcess, stopTimeoutMs: number): DockerApi {
  const env = clientEnv(dir, sock);
  return {
    name,
    sock,
    env,
    docker: (args, opts = {}) => exec(['docker', ...args], { env: { ...env, ...opts.env }, check: opts.check }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** bulkheadd on dir/sock over dir/root. */
export async function startBulkheadd(dir: string): Promise<DockerApi> {
  fs.mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, 'bulkhead.sock');
  const proc = spawn(process.execPath, [DAEMON, '-H', `unix://${sock}`, '--data-root', path.join(dir, 'root'), '-p', path.join(dir, 'pid'), '--shutdown-timeout', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  await waitFor('bulkheadd', () => /API listen/.test(log), proc, () => log, 120_000);
  return daemonHandle('bulkheadd', dir, sock, proc, 30_000);
}

export interface DockerdHandle extends DockerApi {
  driver: string;
  log(): string;
}

/** Debian's dockerd with state only under dir; it starts its own containerd under the exec root. */
export async function startDockerd(dir: string, driver: 'overlay2' | 'vfs', extra: string[] = []): Promise<DockerdHandle> {
  fs.mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, 'docker.sock');
  const args = [
    '--data-root', path.join(dir, 'root'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'dockerd.pid'),
    '-H', `unix://${sock}`,
    '--storage-driver', driver,
    // dockerd 20.10 writes its libtrust key here (default /etc/docker/key.json).
    '--config-file', path.join(dir, 'daemon.json'),
    ...extra,
  ];
  fs.writeFileSync(path.join(dir, 'daemon.json'), '{}\n');
  const proc = spawn('dockerd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const h = daemonHandle('dockerd', dir, sock, proc, 60_000);
  await waitFor('dockerd', async () => (await api(sock, 'GET', '/_ping')).status === 200, proc, () => log, 180_000);
  const info = JSON.parse((await api(sock, 'GET', '/info')).text) as { Driver: string };
  return { ...h, driver: info.Driver, log: () => log };
}

export interface Podman {
  base: string[];
  env: NodeJS.ProcessEnv;
  podman(args: string[], opts?: { check?: boolean }): Promise<Exec>;
}

/**
 * podman with its own --root/--runroot/--tmpdir, cgroupfs (no systemd in the
 * guest), file events, and file locks: the guest has no /dev/shm for the shm
 * lock manager (containers.conf(5), lock_type).
 */
export function makePodman(dir: string): Podman {
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const conf = path.join(dir, 'containers.conf');
  fs.writeFileSync(conf, `[engine]\nlock_type = "file"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n`);
  const base = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--tmpdir', path.join(dir, 'tmp'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--storage-driver', 'overlay'];
  const env = { ...process.env, CONTAINERS_CONF: conf, TMPDIR: path.join(dir, 'tmp') };
  return { base, env, podman: (args, opts = {}) => exec(['podman', ...base, ...args], { env, check: opts.check, label: ['podman', ...args.slice(0, 4)].join(' ') }) };
}
