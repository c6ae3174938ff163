// The peers benchmark inside the User-Mode Linux guest (benchmarks/peers.ts boots
// it; guest-peers.sh is its init): Bulkhead against Debian's dockerd and podman
// (and skopeo for pulls) on one kernel, in one run. Every contender gets a
// directory of its own under WORK (the guest's tmpfs) and the guest's init has
// overlaid /etc, /var/lib and /root with tmpfs uppers, so nothing an engine writes
// reaches the host's files. Rows are timed whole (client start-up included) and
// interleaved per iteration where several contenders do the same work.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildImage, busyboxEntries, sha256, writeDockerArchive, writeOciLayout, type BuiltImage, type Entry } from '../support/images';
import { startRegistry, type Registry } from '../support/registry';
import { api, CLI, exec, makePodman, PROJECT, startBulkheadd, startDockerd, type DockerApi, type DockerdHandle, type Podman } from './peers-engines';
import { median, p95 } from './stats';

export type RowResult =
  | { id: string; what: string; status: 'ok'; n: number; medianMs: number; p95Ms: number; samplesMs: number[] }
  | { id: string; what: string; status: 'failed' | 'skipped'; reason: string };

export interface PeerRatio {
  id: string;
  what: string;
  /** numerator / denominator, both row ids. */
  of: [string, string];
  ratio: number | null;
  goal?: string;
  met?: boolean | null;
}

export interface PeersParams {
  n: number;
  pullN: number;
  buildN: number;
  psN: number;
  psContainers: number;
  pullMiB: number;
  /** Section ids to run (run, ps, pull, network, build). */
  sections: string[];
}

export interface PeersResults {
  benchmark: 'peers';
  where: 'uml';
  date: string;
  kernel: string;
  memoryMiB: number;
  versions: Record<string, string>;
  params: PeersParams;
  setup: Record<string, string>;
  rows: Record<string, RowResult[]>;
  ratios: PeerRatio[];
  notes: string[];
  leftovers: string[];
  /** The host's 1/5/15-minute load averages before and after the guest (set by the host). */
  hostLoadAverage?: { start: number[]; end: number[] };
}

export const IMAGE = 'bench/busybox:1';
export const SECTIONS = ['run', 'ps', 'pull', 'network', 'build'] as const;

type Log = (line: string) => void;

const ok = (id: string, what: string, samples: number[]): RowResult => ({
  id,
  what,
  status: 'ok',
  n: samples.length,
  medianMs: Number(median(samples).toFixed(2)),
  p95Ms: Number(p95(samples).toFixed(2)),
  samplesMs: samples.map((s) => Number(s.toFixed(2))),
});
const failed = (id: string, what: string, err: unknown): RowResult => ({ id, what, status: 'failed', reason: String((err as Error)?.message ?? err).split('\n')[0].slice(0, 600) });

function ratioOf(rows: RowResult[], a: string, b: string): number | null {
  const x = rows.find((r) => r.id === a);
  const y = rows.find((r) => r.id === b);
  if (x?.status !== 'ok' || y?.status !== 'ok' || y.medianMs === 0) return null;
  return Number((x.medianMs / y.medianMs).toFixed(2));
}

/**
 * Several contenders doing the same operation, interleaved: each iteration runs
 * every contender still standing once. A contender's first failure ends its row
 * (with that error), not the others'.
 */
async function interleaved(
  contenders: Array<{ id: string; what: string; op: (i: number) => Promise<unknown>; after?: (i: number) => Promise<unknown> }>,
  n: number,
  warmup: number,
  log: Log,
  label: string,
): Promise<RowResult[]> {
  const samples = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  const errors = new Map<string, unknown>();
  for (let i = -warmup; i < n; i++) {
    for (const c of contenders) {
      if (errors.has(c.id)) continue;
      try {
        const t0 = process.hrtime.bigint();
        await c.op(i);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        await c.after?.(i);
        if (i >= 0) samples.get(c.id)!.push(ms);
      } catch (err) {
        errors.set(c.id, err);
        log(`${label}: ${c.id} failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
      }
    }
    if (i >= 0 && (i + 1) % Math.max(1, Math.ceil(n / 4)) === 0) log(`${label}: ${i + 1}/${n}`);
  }
  return contenders.map((c) => (errors.has(c.id) ? failed(c.id, c.what, errors.get(c.id)) : ok(c.id, c.what, samples.get(c.id)!)));
}

/** A base image (busybox) as a docker-archive, for `docker load` / `podman load` / `bulkhead load`. */
function baseArchive(work: string): string {
  const file = path.join(work, 'busybox.tar');
  writeDockerArchive(file, [{ image: withHistory(buildImage([busyboxEntries()], { Cmd: ['sh'] })), tags: [IMAGE] }]);
  return file;
}

/**
 * The config with a `history` entry per layer, as every builder writes it:
 * buildah (podman build) refuses a base whose history counts fewer non-empty
 * layers than its rootfs has ("history lists 0 non-empty layers, but we have 1
 * layers on disk"). A docker-archive carries the config only, not the manifest.
 */
function withHistory(img: BuiltImage): BuiltImage {
  const cfg = JSON.parse(img.config.toString()) as { created: string; history?: object[] };
  cfg.history = img.layers.map(() => ({ created: cfg.created, created_by: 'support/images.ts (busybox-static)' }));
  const config = Buffer.from(JSON.stringify(cfg));
  return { ...img, config, configDigest: sha256(config) };
}

/** busybox plus `count` layers of random (incompressible) content: about pullMiB in all. */
function bigImage(pullMiB: number, count = 4) {
  const each = Math.ceil((pullMiB << 20) / count);
  const layers: Entry[][] = [busyboxEntries()];
  for (let i = 0; i < count; i++) layers.push([{ name: `layer${i}/`, type: 'dir' }, ...[0, 1, 2, 3].map((j) => ({ name: `layer${i}/blob${j}`, data: randomBytes(Math.ceil(each / 4)) }))]);
  return buildImage(layers, { Cmd: ['sh'] });
}

const DOCKERFILE = `FROM docker.io/${IMAGE}
ENV APP_HOME=/app MODE=bench
WORKDIR /app
COPY a.txt /app/a.txt
RUN cat /app/a.txt > /app/copy.txt
COPY dir /app/dir
RUN ls -l /app/dir > /app/listing.txt
ENV STEP=7
RUN echo "$MODE $STEP" > /app/env.txt && mkdir -p /app/data
LABEL bench=peers
CMD ["/bin/sh", "-c", "cat /app/env.txt"]
`;

function writeContext(dir: string): void {
  fs.mkdirSync(path.join(dir, 'dir'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
  fs.writeFileSync(path.join(dir, 'a.txt'), 'peers benchmark\n'.repeat(64));
  for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(dir, 'dir', `f${i}`), randomBytes(4096));
}

/** Whether this checkout has Bulkhead's builder (the `build` command, lib/build). */
export function bulkheadBuildAvailable(): boolean {
  return fs.existsSync(path.join(PROJECT, 'dist', 'lib', 'build', 'index.js'));
}

interface Ctx {
  work: string;
  p: PeersParams;
  log: Log;
  archive: string;
  results: PeersResults;
  bulkheadd?: DockerApi;
  dockerd?: DockerdHandle;
  dockerdError?: string;
  podman?: Podman;
  podmanError?: string;
  registry?: Registry;
  cliEnv: NodeJS.ProcessEnv;
}

const bulkheadCli = (ctx: Ctx, args: string[], env: NodeJS.ProcessEnv = ctx.cliEnv) => exec([process.execPath, CLI, ...args], { env, label: ['bulkhead', ...args.slice(0, 5)].join(' ') });

function skipRow(id: string, what: string, reason: string | undefined): RowResult {
  return { id, what, status: 'failed', reason: reason ?? 'not started' };
}

/** #15: docker run --rm IMAGE /bin/true through bulkheadd, dockerd and podman. */
async function runSection(ctx: Ctx): Promise<void> {
  const { p, log } = ctx;
  const contenders = [];
  if (ctx.bulkheadd) contenders.push({ id: 'bulkheadd', what: `bulkheadd: docker run --rm --network none ${IMAGE} /bin/true`, op: () => ctx.bulkheadd!.docker(['run', '--rm', '--network', 'none', IMAGE, '/bin/true']) });
  contenders.push({ id: 'bulkhead-cli', what: `bulkhead run --pull=never --network none ${IMAGE} /bin/true (the CLI, no daemon)`, op: () => bulkheadCli(ctx, ['run', '--pull=never', '--network', 'none', IMAGE, '/bin/true']) });
  if (ctx.dockerd) contenders.push({ id: 'dockerd', what: `dockerd: docker run --rm --network none ${IMAGE} /bin/true`, op: () => ctx.dockerd!.docker(['run', '--rm', '--network', 'none', IMAGE, '/bin/true']) });
  if (ctx.podman) contenders.push({ id: 'podman', what: `podman run --rm --network none ${IMAGE} /bin/true`, op: () => ctx.podman!.podman(['run', '--rm', '--pull=never', '--network', 'none', `docker.io/${IMAGE}`, '/bin/true']) });
  const rows = await interleaved(contenders, p.n, 2, log, 'run');
  if (!ctx.dockerd) rows.push(skipRow('dockerd', 'dockerd: docker run --rm', ctx.dockerdError));
  if (!ctx.podman) rows.push(skipRow('podman', 'podman run --rm', ctx.podmanError));
  ctx.results.rows.run = rows;
  const r = ratioOf(rows, 'dockerd', 'bulkheadd');
  ctx.results.ratios.push(
    { id: 'run-dockerd', what: 'docker run --rm /bin/true: dockerd / bulkheadd', of: ['dockerd', 'bulkheadd'], ratio: r, goal: 'at least 10', met: r === null ? null : r >= 10 },
    { id: 'run-podman', what: 'podman run --rm / bulkheadd docker run --rm', of: ['podman', 'bulkheadd'], ratio: ratioOf(rows, 'podman', 'bulkheadd') },
    { id: 'run-cli', what: 'bulkheadd docker run / bulkhead run (no daemon)', of: ['bulkheadd', 'bulkhead-cli'], ratio: ratioOf(rows, 'bulkheadd', 'bulkhead-cli') },
  );
}

/** #15: docker ps with N+5 containers against 5 (5 running in both), through each daemon. */
async function psSection(ctx: Ctx): Promise<void> {
  const { p, log } = ctx;
  const rows: RowResult[] = [];
  const daemons: Array<[string, DockerApi | undefined, string | undefined]> = [
    ['bulkheadd', ctx.bulkheadd, 'bulkheadd did not start'],
    ['dockerd', ctx.dockerd, ctx.dockerdError],
  ];
  for (const [name, d, why] of daemons) {
    const big = p.psContainers + 5;
    if (!d) {
      rows.push(skipRow(`${name}-ps-5`, `${name}: docker ps (5 containers)`, why), skipRow(`${name}-ps-${big}`, `${name}: docker ps (${big})`, why));
      continue;
    }
    const made: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const c = await api(d.sock, 'POST', '/v1.41/containers/create', { Image: IMAGE, Cmd: ['sleep', '100000'], HostConfig: { NetworkMode: 'none' } });
        if (c.status !== 201) throw new Error(`create: ${c.status} ${c.text}`);
        const id = (JSON.parse(c.text) as { Id: string }).Id;
        made.push(id);
        const s = await api(d.sock, 'POST', `/v1.41/containers/${id}/start`);
        if (s.status !== 204) throw new Error(`start: ${s.status} ${s.text}`);
      }
      const measure = async (count: number) => {
        const r = await interleaved(
          [
            { id: `${name}-ps-${count}`, what: `${name}: docker ps (${count} containers, 5 running)`, op: () => d.docker(['ps', '-q']) },
            { id: `${name}-ps-a-${count}`, what: `${name}: docker ps -a (${count} containers)`, op: () => d.docker(['ps', '-aq']) },
          ],
          p.psN,
          2,
          log,
          `ps ${name} ${count}`,
        );
        rows.push(...r);
      };
      await measure(5);
      log(`ps ${name}: creating ${p.psContainers} containers`);
      for (let i = 0; i < p.psContainers; i++) {
        const c = await api(d.sock, 'POST', '/v1.41/containers/create', { Image: IMAGE, Cmd: ['/bin/true'], HostConfig: { NetworkMode: 'none' } });
        if (c.status !== 201) throw new Error(`create #${i}: ${c.status} ${c.text}`);
        made.push((JSON.parse(c.text) as { Id: string }).Id);
        if ((i + 1) % 100 === 0) log(`ps ${name}: ${i + 1}/${p.psContainers} created`);
      }
      await measure(big);
      for (const kind of ['ps', 'ps-a']) {
        const r = ratioOf(rows, `${name}-${kind}-${big}`, `${name}-${kind}-5`);
        ctx.results.ratios.push({
          id: `${kind}-${name}`,
          what: `${name}: docker ${kind === 'ps' ? 'ps' : 'ps -a'} with ${big} containers / with 5`,
          of: [`${name}-${kind}-${big}`, `${name}-${kind}-5`],
          ratio: r,
          ...(kind === 'ps' && name === 'bulkheadd' ? { goal: 'under 2', met: r === null ? null : r < 2 } : {}),
        });
      }
    } catch (err) {
      rows.push(failed(`${name}-ps`, `${name}: docker ps`, err));
    } finally {
      log(`ps ${name}: removing ${made.length} containers`);
      for (const id of made) await api(d.sock, 'DELETE', `/v1.41/containers/${id}?force=1`).catch(() => undefined);
    }
  }
  ctx.results.rows.ps = rows;
}

/** #13: cold pull + unpack of a ~pullMiB image from the loopback registry. */
async function pullSection(ctx: Ctx): Promise<void> {
  const { p, log, work } = ctx;
  const reg = ctx.registry!;
  log(`pull: building a ${p.pullMiB} MiB image and pushing it to ${reg.host}`);
  const img = bigImage(p.pullMiB);
  const layout = path.join(work, 'big-oci');
  writeOciLayout(layout, [{ image: img, name: 'big' }]);
  const ref = `${reg.host}/bench/big:1`;
  await exec(['skopeo', '--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${layout}:big`, `docker://${ref}`], { env: { ...process.env, TMPDIR: path.join(work, 'tmp') } });
  fs.rmSync(layout, { recursive: true, force: true });
  const bytes = img.layers.reduce((s, l) => s + l.blob.length, 0);
  ctx.results.setup.pullImage = `${ref}: ${img.layers.length} layers, ${(bytes / 2 ** 20).toFixed(1)} MiB compressed (gzip), ${(img.layers.reduce((s, l) => s + l.tar.length, 0) / 2 ** 20).toFixed(1)} MiB of tar`;
  const contenders = [];
  const bhRoot = (i: number) => path.join(work, `pull-bulkhead-${i}`);
  contenders.push({
    id: 'bulkhead',
    what: 'bulkhead pull (empty store)',
    op: (i: number) => bulkheadCli(ctx, ['pull', '-q', ref], { ...ctx.cliEnv, BULKHEAD_ROOT: bhRoot(i) }),
    after: async (i: number) => fs.rmSync(bhRoot(i), { recursive: true, force: true }),
  });
  if (ctx.dockerd) contenders.push({ id: 'dockerd', what: 'dockerd: docker pull (no layer present)', op: () => ctx.dockerd!.docker(['pull', '-q', ref]), after: () => ctx.dockerd!.docker(['rmi', ref]) });
  if (ctx.podman) contenders.push({ id: 'podman', what: 'podman pull --tls-verify=false (no layer present)', op: () => ctx.podman!.podman(['pull', '-q', '--tls-verify=false', ref]), after: () => ctx.podman!.podman(['rmi', ref]) });
  const skDir = (i: number) => path.join(work, `pull-skopeo-${i}`);
  contenders.push({
    id: 'skopeo',
    what: 'skopeo copy to an OCI layout + tar -xzf of each layer',
    op: async (i: number) => {
      const dir = skDir(i);
      await exec(['skopeo', '--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:big`], { env: { ...process.env, TMPDIR: path.join(work, 'tmp') } });
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
      for (const l of manifest.layers) {
        const out = path.join(dir, 'unpacked', l.digest.slice(7));
        fs.mkdirSync(out, { recursive: true });
        await exec(['tar', '-xzf', path.join(dir, 'blobs', 'sha256', l.digest.slice(7)), '-C', out]);
      }
    },
    after: async (i: number) => fs.rmSync(skDir(i), { recursive: true, force: true }),
  });
  const rows = await interleaved(contenders, p.pullN, 0, log, 'pull');
  if (!ctx.dockerd) rows.push(skipRow('dockerd', 'dockerd: docker pull', ctx.dockerdError));
  if (!ctx.podman) rows.push(skipRow('podman', 'podman pull', ctx.podmanError));
  ctx.results.rows.pull = rows;
  const peers = rows.filter((r): r is Extract<RowResult, { status: 'ok' }> => r.status === 'ok' && r.id !== 'bulkhead').sort((a, b) => a.medianMs - b.medianMs);
  const fastest = peers[0];
  const r = fastest ? ratioOf(rows, 'bulkhead', fastest.id) : null;
  ctx.results.ratios.push({ id: 'pull-fastest', what: `bulkhead pull / the fastest peer (${fastest?.id ?? 'none'})`, of: ['bulkhead', fastest?.id ?? ''], ratio: r, goal: 'at most 1.2', met: r === null ? null : r <= 1.2 });
  for (const peer of ['dockerd', 'podman', 'skopeo']) ctx.results.ratios.push({ id: `pull-${peer}`, what: `${peer} / bulkhead pull`, of: [peer, 'bulkhead'], ratio: ratioOf(rows, peer, 'bulkhead') });
}

/** #16: start on a bridge network against --network none. */
async function networkSection(ctx: Ctx): Promise<void> {
  const { p, log } = ctx;
  const contenders = [
    { id: 'bulkhead-none', what: `bulkhead run --network none ${IMAGE} /bin/true`, op: () => bulkheadCli(ctx, ['run', '--pull=never', '--network', 'none', IMAGE, '/bin/true']) },
    { id: 'bulkhead-bridge', what: `bulkhead run --network bridge ${IMAGE} /bin/true`, op: () => bulkheadCli(ctx, ['run', '--pull=never', '--network', 'bridge', IMAGE, '/bin/true']) },
  ];
  if (ctx.dockerd) {
    contenders.push(
      { id: 'dockerd-none', what: `dockerd: docker run --rm --network none`, op: () => ctx.dockerd!.docker(['run', '--rm', '--network', 'none', IMAGE, '/bin/true']) },
      { id: 'dockerd-bridge', what: `dockerd: docker run --rm --network bridge (docker0, iptables)`, op: () => ctx.dockerd!.docker(['run', '--rm', '--network', 'bridge', IMAGE, '/bin/true']) },
    );
  }
  if (ctx.podman) {
    contenders.push(
      { id: 'podman-none', what: 'podman run --rm --network none', op: () => ctx.podman!.podman(['run', '--rm', '--pull=never', '--network', 'none', `docker.io/${IMAGE}`, '/bin/true']) },
      { id: 'podman-bridge', what: 'podman run --rm --network bridge (CNI)', op: () => ctx.podman!.podman(['run', '--rm', '--pull=never', '--network', 'bridge', `docker.io/${IMAGE}`, '/bin/true']) },
    );
  }
  const rows = await interleaved(contenders, p.n, 1, log, 'network');
  if (!ctx.dockerd) rows.push(skipRow('dockerd-bridge', 'dockerd: docker run --network bridge', ctx.dockerdError));
  if (!ctx.podman) rows.push(skipRow('podman-bridge', 'podman run --network bridge', ctx.podmanError));
  ctx.results.rows.network = rows;
  for (const e of ['bulkhead', 'dockerd', 'podman']) {
    const r = ratioOf(rows, `${e}-bridge`, `${e}-none`);
    const none = rows.find((x) => x.id === `${e}-none`);
    const bridge = rows.find((x) => x.id === `${e}-bridge`);
    const cost = none?.status === 'ok' && bridge?.status === 'ok' ? Number((bridge.medianMs - none.medianMs).toFixed(1)) : null;
    ctx.results.ratios.push({ id: `bridge-${e}`, what: `${e}: bridge / none${cost === null ? '' : ` (the bridge adds ${cost} ms)`}`, of: [`${e}-bridge`, `${e}-none`], ratio: r });
  }
  ctx.results.ratios.push({ id: 'bridge-dockerd-bulkhead', what: 'bridge start: dockerd / bulkhead', of: ['dockerd-bridge', 'bulkhead-bridge'], ratio: ratioOf(rows, 'dockerd-bridge', 'bulkhead-bridge') });
}

/** #17: a 10-step Dockerfile, cold (--no-cache) and fully cached. */
async function buildSection(ctx: Ctx): Promise<void> {
  const { p, log, work } = ctx;
  const context = path.join(work, 'build-context');
  writeContext(context);
  const contenders: Array<{ id: string; what: string; cold: () => Promise<unknown>; cached: () => Promise<unknown> }> = [];
  const rows: RowResult[] = [];
  if (bulkheadBuildAvailable()) {
    contenders.push({
      id: 'bulkhead',
      what: 'bulkhead build',
      cold: () => bulkheadCli(ctx, ['build', '--no-cache', '--network', 'none', '-q', '-t', 'peers/built:1', context]),
      cached: () => bulkheadCli(ctx, ['build', '--network', 'none', '-q', '-t', 'peers/built:1', context]),
    });
    if (ctx.bulkheadd) {
      // The same docker CLI as against dockerd: a build in bulkheadd's process
      // costs no Node start-up, which dominates the CLI's cached build in UML.
      contenders.push({
        id: 'bulkheadd',
        what: 'DOCKER_BUILDKIT=0 docker build (bulkheadd)',
        cold: () => ctx.bulkheadd!.docker(['build', '--no-cache', '--network', 'none', '-q', '-t', 'peers/built:1', context], { env: { DOCKER_BUILDKIT: '0' } }),
        cached: () => ctx.bulkheadd!.docker(['build', '--network', 'none', '-q', '-t', 'peers/built:1', context], { env: { DOCKER_BUILDKIT: '0' } }),
      });
    }
  } else {
    rows.push({ id: 'bulkhead-cold', what: 'bulkhead build', status: 'skipped', reason: 'no dist/lib/build/index.js in this checkout: Bulkhead has no builder yet' });
  }
  if (ctx.dockerd) {
    const env = { DOCKER_BUILDKIT: '0' };
    contenders.push({
      id: 'dockerd',
      what: 'DOCKER_BUILDKIT=0 docker build (dockerd, classic builder)',
      cold: () => ctx.dockerd!.docker(['build', '--no-cache', '--network', 'none', '-q', '-t', 'peers/built:1', context], { env }),
      cached: () => ctx.dockerd!.docker(['build', '--network', 'none', '-q', '-t', 'peers/built:1', context], { env }),
    });
  } else rows.push(skipRow('dockerd-cold', 'docker build', ctx.dockerdError));
  if (ctx.podman) {
    contenders.push({
      id: 'podman',
      what: 'podman build',
      cold: () => ctx.podman!.podman(['build', '--no-cache', '--network', 'none', '-q', '-t', 'peers/built:1', context]),
      cached: () => ctx.podman!.podman(['build', '--network', 'none', '-q', '-t', 'peers/built:1', context]),
    });
  } else rows.push(skipRow('podman-cold', 'podman build', ctx.podmanError));
  rows.push(...(await interleaved(contenders.map((c) => ({ id: `${c.id}-cold`, what: `${c.what} --no-cache (cold)`, op: c.cold })), p.buildN, 0, log, 'build cold')));
  rows.push(...(await interleaved(contenders.map((c) => ({ id: `${c.id}-cached`, what: `${c.what} (every step cached)`, op: c.cached })), p.buildN, 1, log, 'build cached')));
  ctx.results.rows.build = rows;
  for (const peer of ['dockerd', 'podman']) {
    const cold = ratioOf(rows, `${peer}-cold`, 'bulkhead-cold');
    const cached = ratioOf(rows, `${peer}-cached`, 'bulkhead-cached');
    ctx.results.ratios.push(
      { id: `build-cold-${peer}`, what: `cold build: ${peer} / bulkhead`, of: [`${peer}-cold`, 'bulkhead-cold'], ratio: cold, goal: 'bulkhead within 1.2x (ratio at least 0.83)', met: cold === null ? null : cold >= 1 / 1.2 },
      { id: `build-cached-${peer}`, what: `cached build: ${peer} / bulkhead`, of: [`${peer}-cached`, 'bulkhead-cached'], ratio: cached, goal: 'at least 2', met: cached === null ? null : cached >= 2 },
    );
    const dcold = ratioOf(rows, `${peer}-cold`, 'bulkheadd-cold');
    const dcached = ratioOf(rows, `${peer}-cached`, 'bulkheadd-cached');
    ctx.results.ratios.push(
      { id: `build-cold-${peer}-bulkheadd`, what: `cold build: ${peer} / docker build through bulkheadd`, of: [`${peer}-cold`, 'bulkheadd-cold'], ratio: dcold, goal: 'bulkhead within 1.2x (ratio at least 0.83)', met: dcold === null ? null : dcold >= 1 / 1.2 },
      { id: `build-cached-${peer}-bulkheadd`, what: `cached build: ${peer} / docker build through bulkheadd`, of: [`${peer}-cached`, 'bulkheadd-cached'], ratio: dcached, goal: 'at least 2', met: dcached === null ? null : dcached >= 2 },
    );
  }
}

async function version(argv: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const r = await exec(argv, { env, check: false });
    return (r.stdout || r.stderr).trim().split('\n')[0];
  } catch (err) {
    return `unavailable: ${(err as Error).message}`;
  }
}

/** Runs the sections asked for; always stops every engine and removes WORK. */
export async function runPeersGuest(p: PeersParams, work: string, log: Log): Promise<PeersResults> {
  fs.mkdirSync(work, { recursive: true });
  const results: PeersResults = {
    benchmark: 'peers',
    where: 'uml',
    date: new Date().toISOString(),
    kernel: os.release(),
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    versions: {},
    params: p,
    setup: {},
    rows: {},
    ratios: [],
    notes: [],
    leftovers: [],
  };
  const cliEnv = { ...process.env, BULKHEAD_ROOT: path.join(work, 'bulkhead-cli') };
  const ctx: Ctx = { work, p, log, archive: '', results, cliEnv };
  try {
    ctx.archive = baseArchive(work);
    results.versions.node = process.version;
    results.versions.docker = await version(['docker', '--version']);
    results.versions.dockerd = await version(['dockerd', '--version']);
    results.versions.containerd = await version(['containerd', '--version']);
    results.versions.runc = await version(['runc', '--version']);
    results.versions.podman = await version(['podman', '--version']);
    results.versions.skopeo = await version(['skopeo', '--version']);
    results.versions.crun = await version(['crun', '--version']);

    log('loading the busybox image into bulkhead (CLI store)');
    await bulkheadCli(ctx, ['load', '-i', ctx.archive]);
    log('starting bulkheadd');
    ctx.bulkheadd = await startBulkheadd(path.join(work, 'bulkheadd'));
    await ctx.bulkheadd.docker(['load', '-i', ctx.archive]);

    if (p.sections.includes('pull')) ctx.registry = await startRegistry({ dir: path.join(work, 'registry') });
    log('starting dockerd');
    const insecure = ctx.registry ? ['--insecure-registry', ctx.registry.host] : [];
    try {
      try {
        ctx.dockerd = await startDockerd(path.join(work, 'dockerd'), 'overlay2', insecure);
      } catch (err) {
        results.notes.push(`dockerd with overlay2 failed (${(err as Error).message}); retried with vfs`);
        fs.rmSync(path.join(work, 'dockerd'), { recursive: true, force: true });
        ctx.dockerd = await startDockerd(path.join(work, 'dockerd'), 'vfs', insecure);
      }
      results.setup.dockerd = `storage driver ${ctx.dockerd.driver} on the guest's tmpfs; iptables through iptables-legacy (the UML kernel's nf_tables has no ip family); its own containerd`;
      await ctx.dockerd.docker(['load', '-i', ctx.archive]);
    } catch (err) {
      ctx.dockerdError = `dockerd: ${(err as Error).message}`;
      log(ctx.dockerdError);
      await ctx.dockerd?.stop();
      ctx.dockerd = undefined;
    }
    log('podman: loading the image');
    try {
      const pm = makePodman(path.join(work, 'podman'));
      // podman load names an archive's unqualified tag localhost/...; the other
      // engines (and the Dockerfile's FROM) say docker.io/..., so tag it so.
      const loaded = await pm.podman(['load', '-q', '-i', ctx.archive]);
      const name = /Loaded image(?:\(s\))?: *(\S+)/.exec(loaded.stdout)?.[1];
      if (!name) throw new Error(`podman load printed no image name: ${loaded.stdout.trim()}`);
      await pm.podman(['tag', name, `docker.io/${IMAGE}`]);
      ctx.podman = pm;
      const info = await pm.podman(['info', '--format', '{{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}} {{.Store.GraphDriverName}}'], { check: false });
      results.setup.podman = `runtime, network backend, storage: ${info.stdout.trim()}; cgroupfs, file events, file locks (no /dev/shm in the guest), its own --root/--runroot`;
    } catch (err) {
      ctx.podmanError = `podman: ${(err as Error).message}`;
      log(ctx.podmanError);
    }

    const sections: Array<[string, (c: Ctx) => Promise<void>]> = [
      ['run', runSection],
      ['network', networkSection],
      ['build', buildSection],
      ['pull', pullSection],
      ['ps', psSection],
    ];
    for (const [name, fn] of sections) {
      if (!p.sections.includes(name)) continue;
      log(`section ${name}`);
      try {
        await fn(ctx);
      } catch (err) {
        results.notes.push(`section ${name} failed: ${(err as Error).message}`);
        log(`section ${name} failed: ${(err as Error).stack}`);
      }
    }
  } finally {
    log('stopping the engines');
    if (ctx.podman) await ctx.podman.podman(['system', 'reset', '--force'], { check: false }).catch(() => undefined);
    await ctx.dockerd?.stop().catch(() => undefined);
    await ctx.bulkheadd?.stop().catch(() => undefined);
    await ctx.registry?.stop().catch(() => undefined);
  }
  return results;
}
