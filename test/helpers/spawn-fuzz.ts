// The seeded fuzz of spawn()'s options, shared by the host tier and the vm tier
// (where limits are enforced and groups really made). Every case must end as a
// TypeError or RangeError thrown at once that names an option, or as a handle
// whose promise settles (resolved, or rejected with a BulkheadError) before a
// watchdog fires; afterwards no fd, child or group may be left. Most cases are
// validation only: they carry an already-aborted signal, so spawn() checks and
// plans everything and stops before creating anything. A bounded subset runs.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import { BulkheadError, spawn } from '../../lib/index';

/** A run of /bin/true that has not settled by then froze. */
const WATCHDOG_MS = 20_000;

/** mulberry32: small, seeded, the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzOptions {
  cases: number;
  runs: number;
  seed: number;
  /** Extra `limits` values worth trying where the kernel can enforce them. */
  limits?: unknown[];
  /** How many times more often than others an option is picked (default 1). */
  weights?: Record<string, number>;
}

/** Where the v2 hierarchy is mounted on this host, if anywhere. */
export const v2Mount = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => fs.existsSync(path.join(d, 'cgroup.procs')) && !fs.existsSync(path.join(d, 'tasks')));

export function fuzzSpawn({ cases: CASES, runs: RUNS, seed: SEED, limits = [], weights = {} }: FuzzOptions): void {
  const rnd = prng(SEED);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-fuzz-'));
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const profile = path.join(dir, 'allow.json');
  fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }));
  // Made and removed inside the test: other files of a tier share this process and count groups.
  const group = v2Mount ? path.join(v2Mount, `bulkhead-fuzz-${process.pid}`) : undefined;
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const sparse = (n: number, v: unknown) => {
    const a = new Array(n);
    a[n - 1] = v;
    return a;
  };
  const WEIRD: unknown[] = [
    undefined, null, NaN, Infinity, -Infinity, -1, -0, 0, 0.5, 1, 2 ** 31, 2 ** 32 + 3, 2 ** 53, 2 ** 64, 1e300,
    '', '\0', 'x', 'a'.repeat(5000), '/', true, false, 10n, 2n ** 70n, Symbol('s'), circular, [], [undefined], sparse(3, 'x'),
    {}, Object.create(null), () => 1, new Date(0), /re/, Buffer.from('x'), [1, 'two', null],
  ];
  const bools = [true, false];
  const VALUES: Record<string, unknown[]> = {
    rootfs: ['/nonexistent', '/tmp', '/', 'relative', fifo, '/proc/self'],
    namespaces: [{ pid: false }, { net: false }, { user: true }, { mount: false }, { time: true }, { bogus: true }, { pid: 'yes' }, { cgroup: false, net: false }],
    hostname: ['box', 'a'.repeat(64), 'a'.repeat(65), 'bad_name', '-x'],
    env: [{ A: '1' }, { '': 'x' }, { 'A=B': 'x' }, { A: 1 }, { PATH: '/bin' }, { A: 'x\0y' }],
    cwd: ['/', '/tmp', '/nonexistent', 'rel', '/proc/1'],
    uid: [0, 1000, 65534, 2 ** 32, -1, 4294967295],
    gid: [0, 1000, 2 ** 40],
    groups: [[1, 2], [-1], sparse(2, 1), [2 ** 33], []],
    uidMappings: [[{ containerId: 0, hostId: 0, size: 1 }], [{}], [], [{ containerId: 0, hostId: 0 }], [{ containerId: 0, hostId: 0, size: 2 ** 32 }]],
    gidMappings: [[{ containerId: 0, hostId: 0, size: 1 }], [{ containerId: -1, hostId: 0, size: 1 }]],
    mounts: [
      [{ type: 'tmpfs', target: '/mnt', size: '1m' }], [{ type: 'bind', source: '/etc', target: '/mnt', readonly: true }],
      [{ type: 'tmpfs', target: '/' }], [{ type: 'tmpfs', target: '/x', size: 0.5 }], [{ type: 'tmpfs', target: '/x', size: 2 ** 64 }],
      [{ type: 'nfs', target: '/x' }], [{ type: 'bind', source: '/nonexistent', target: '/x' }], [{ type: 'bind', source: 'rel', target: '/x' }],
      [{ type: 'tmpfs', target: '/../../etc' }], [{ type: 'tmpfs', target: '/x', mode: 0o10000 }], sparse(2, { type: 'tmpfs', target: '/x' }),
    ],
    stdio: ['ignore', 'inherit', 'pipe', ['pipe', 'pipe', 'pipe', 'pipe'], [0, 1, 2], [2 ** 32 + 1], ['ignore', 'pipe', 'pipe', undefined, 'pipe'], new Array(70).fill('ignore'), [99999], ['pipe', 'pipe', 'pipe', 'ignore', 'inherit']],
    cgroup: [group ?? '/nonexistent', '/tmp', '/nonexistent-cgroup', `${v2Mount ?? '/sys/fs/cgroup'}/cgroup.procs`, 'rel'],
    limits: [{}, { pids: { max: 10 } }, { memory: { max: '64q' } }, { bogus: 1 }, { cpu: { max: 0 } }, { memory: { max: 10n } }, ...limits],
    buffer: bools, reject: bools, dieWithParent: bools, legacyClone: bools, noNewPrivileges: bools, readonlyRootfs: bools, init: bools, all: bools,
    capAdd: [['NET_ADMIN'], ['ALL'], ['bogus'], [1], sparse(2, 'CHOWN')],
    capDrop: [['ALL'], ['CAP_CHOWN'], ['nope']],
    seccomp: [false, fifo, '/nonexistent', '/tmp', profile, { defaultAction: 'SCMP_ACT_ALLOW' }, { defaultAction: 'bogus' }, 'rel', '/dev/zero', true],
    rlimits: [{ nofile: 1024 }, { nofile: 0 }, { core: 2 ** 64 }, { bogus: 1 }, { nofile: { soft: 10, hard: 5 } }, { nofile: 2 }, { core: 1e300 }, { constructor: 1 }, { nproc: 'unlimited' }],
    maskedPaths: [[], ['/proc/kcore'], ['/../x'], ['rel'], sparse(2, '/x')],
    readonlyPaths: [[], ['/proc/sys'], [5]],
    tty: [true, { rows: 24, cols: 80 }, { rows: 0, cols: 1 }, { rows: 24 }],
    maxBuffer: [1, 10, 0, 2 ** 40, 100],
    encoding: ['utf8', 'buffer', 'latin1', 'bogus', 'hex'],
    input: ['x', Buffer.alloc(10), 5, new Uint8Array(3)],
    timeout: [0, 1, 10_000, -1, 2 ** 31, 0.5],
    killSignal: ['SIGKILL', 9, 'SIGBOGUS', 0, 'toString', 'SIGTERM'],
    forceKillAfterDelay: [false, true, 0, 10, -1],
    signal: [new AbortController().signal, {}, AbortSignal.abort()],
    inptu: ['x'],
    bogus: [1],
  };
  const KEYS = Object.keys(VALUES).flatMap((k) => new Array<string>(weights[k] ?? 1).fill(k));

  const gen = (): { command: unknown; args: unknown; options: Record<string, unknown> } => {
    const options: Record<string, unknown> = {};
    const n = Math.floor(rnd() * 5);
    for (let i = 0; i < n; i++) {
      const k = pick(KEYS);
      options[k] = rnd() < 0.75 ? pick(VALUES[k]) : pick(WEIRD);
    }
    const command = rnd() < 0.95 ? '/bin/true' : pick(['', 'true', '/nonexistent', 5, 'a\0b']);
    const args = rnd() < 0.9 ? [] : pick([['a'], sparse(2, 'x'), [1], ['\0'], 'x']);
    return { command, args, options };
  };

  const fds = () => fs.readdirSync('/proc/self/fd').sort().join(' ');
  const children = () => fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim();
  const leftGroups = (): string[] => {
    const out: string[] = [];
    const walk = (d: string, depth: number) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        if (e.name.startsWith(`bulkhead-${process.pid}-`)) out.push(path.join(d, e.name));
        if (depth < 4) walk(path.join(d, e.name), depth + 1);
      }
    };
    if (v2Mount) walk(v2Mount, 0);
    return out;
  };
  const stray: unknown[] = [];
  const onStray = (e: unknown) => stray.push(e);
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
  t.teardown(() => {
    process.off('uncaughtException', onStray);
    process.off('unhandledRejection', onStray);
  });

  t.test(`${CASES} cases (seed ${SEED}), at most ${RUNS} of them run`, async (t) => {
    if (group) {
      fs.mkdirSync(group);
      t.teardown(async () => {
        // A pid namespace's group empties a moment after its init is reaped.
        for (let i = 0; i < 200 && /populated 1/.test(fs.readFileSync(path.join(group, 'cgroup.events'), 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
        fs.rmdirSync(group);
      });
    }
    // Warm: the addon, the child stack, the one /dev/null fd exist from here on.
    await spawn('/bin/true', [], { stdio: 'ignore', tty: true });
    // Children already there (another file of a shared test process may have some) are not the fuzz's.
    const [fds0, groups0, children0] = [fds(), leftGroups(), new Set(children().split(/\s+/).filter(Boolean))];
    const outcomes: Record<string, number> = {};
    const count = (k: string) => (outcomes[k] = (outcomes[k] ?? 0) + 1);
    let runs = 0;
    const failures: string[] = [];
    for (let i = 0; i < CASES && failures.length < 10; i++) {
      const { command, args, options } = gen();
      const run = runs < RUNS && rnd() < 0.1;
      const opts = run ? { timeout: 10_000, forceKillAfterDelay: 100, ...options } : { ...options, signal: AbortSignal.abort() };
      const what = () => `case ${i}: spawn(${inspect(command)}, ${inspect(args)}, ${inspect(opts, { depth: 3, maxStringLength: 40, maxArrayLength: 5 })})`;
      let handle;
      try {
        handle = spawn(command as string, args as string[], opts as never);
      } catch (err) {
        const e = err as Error;
        if ((e instanceof TypeError || e instanceof RangeError) && /^spawn: (option |unknown )/.test(e.message)) count(`threw ${e.name}`);
        else failures.push(`${what()} threw ${inspect(err)}`);
        continue;
      }
      if (run) runs++;
      let timer: NodeJS.Timeout | undefined;
      const watchdog = new Promise<'froze'>((r) => (timer = setTimeout(() => r('froze'), WATCHDOG_MS)));
      const end = await Promise.race([handle.then(() => 'ran', (e: unknown) => e), watchdog]);
      clearTimeout(timer);
      if (end === 'froze') {
        handle.kill('SIGKILL');
        failures.push(`${what()} did not settle in ${WATCHDOG_MS} ms`);
      } else if (end === 'ran' && !run) failures.push(`${what()} ran although its signal was aborted`);
      else if (end === 'ran') count(`ran${'limits' in opts ? ' with limits' : ''}`);
      else if (end instanceof BulkheadError) count(`rejected ${end.name} ${end.code}`);
      else failures.push(`${what()} rejected with ${inspect(end)}`);
    }
    t.same(failures, [], 'every case threw a TypeError/RangeError naming an option, ran, or rejected with a BulkheadError');
    t.ok(runs > 0, `${runs} cases ran`);
    t.comment(JSON.stringify(outcomes));
    await new Promise((r) => setTimeout(r, 100));
    t.equal(fds(), fds0, 'no fd left behind');
    t.same(leftGroups(), groups0, 'no group left behind');
    t.same(children().split(/\s+/).filter((p) => p && !children0.has(p)), [], 'no child left, zombie or not');
    t.same(stray.map(String), [], 'nothing thrown outside a promise');
  });
}
