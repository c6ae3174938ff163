// `bulkhead-oci`: runc's command line (runc(8), and the calls containerd's
// runc shim makes through go-runc), on Bulkhead's spawn(). Global flags come
// before the command, the command's flags before its arguments, as urfave/cli
// parses them; `--flag value` and `--flag=value` both work. Errors: one line on
// stderr (and one JSON line in --log under --log-format json), exit 1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants as osConstants } from 'node:os';
import { DEFAULT_ROOT, OCI_VERSION, OciError, StateStore } from './state';

// Each command loads only what it uses: a process per command pays for every
// module it requires (benchmarks/oci.ts), and `state` or `kill` need neither
// spawn() nor the addon. Type-only imports cost nothing at run time.
/* eslint-disable @typescript-eslint/no-require-imports */
const container = (): typeof import('./container') => require('./container');
const execMod = (): typeof import('./exec') => require('./exec');
/* eslint-enable @typescript-eslint/no-require-imports */

interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
}

class Flags {
  readonly values = new Map<string, string | true>();
  /** Every value of a flag given more than once (--env A --env B). */
  readonly lists = new Map<string, string[]>();
  readonly rest: string[] = [];
  constructor(argv: string[], bools: string[], withValue: string[], short: Record<string, string> = {}) {
    let i = 0;
    for (; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--') {
        i++;
        break;
      }
      if (!a.startsWith('-') || a === '-') break;
      const eq = a.indexOf('=');
      let name = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
      name = short[name] ?? name;
      if (bools.includes(name)) {
        this.values.set(name, eq > 0 ? a.slice(eq + 1) : true);
      } else if (withValue.includes(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new OciError(`flag needs an argument: --${name}`);
        this.values.set(name, v);
        this.lists.set(name, [...(this.lists.get(name) ?? []), v]);
      } else {
        throw new OciError(`flag provided but not defined: ${a.slice(0, eq > 0 ? eq : undefined)}`);
      }
    }
    this.rest.push(...argv.slice(i));
  }
  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  list(name: string): string[] {
    return this.lists.get(name) ?? [];
  }
  bool(name: string): boolean {
    const v = this.values.get(name);
    return v === true || v === 'true';
  }
}

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(__dirname, '..', '..', '..', 'package.json')) as { version: string }).version;
}

/** SIGTERM, TERM, 15 → 15 (runc's parseSignal). */
export function parseSignal(raw: string): number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n < 1 || n > 64) throw new OciError(`invalid signal: ${raw}`);
    return n;
  }
  const name = raw.toUpperCase().startsWith('SIG') ? raw.toUpperCase() : `SIG${raw.toUpperCase()}`;
  const n = (osConstants.signals as Record<string, number>)[name];
  if (n === undefined) throw new OciError(`unknown signal "${raw}"`);
  return n;
}

function oneId(cmd: string, rest: string[]): string {
  if (rest.length !== 1) throw new OciError(`"${cmd}" requires exactly 1 argument(s)`);
  StateStore.checkId(rest[0]);
  return rest[0];
}

const USAGE = `Usage: bulkhead-oci [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID
An OCI runtime with runc's command line, on Bulkhead.

Commands:
  create --bundle DIR [--pid-file F] [--console-socket S] ID
  start ID          state ID          kill ID [SIGNAL] [--all]
  delete [--force] ID                 run --bundle DIR [--detach] ID
  ps ID             list              pause ID          resume ID
  events [--stats] ID                 update --resources FILE ID
  features          spec [--bundle DIR]
  exec [--process F] [--tty] [--console-socket S] [--detach] [--pid-file F]
       [--cwd D] [--env K=V] [--user UID[:GID]] [--additional-gids G] [--cap C] ID [ARGS]
`;

export async function main(argv: string[]): Promise<number> {
  const g = new Flags(argv, ['debug', 'systemd-cgroup', 'version', 'v', 'help', 'h', 'rootless'], ['root', 'log', 'log-format', 'criu']);
  const globals: Globals = { root: g.str('root') ?? DEFAULT_ROOT, logFormat: (g.str('log-format') ?? 'text') as 'text' | 'json', debug: g.bool('debug') };
  if (g.str('log') !== undefined) globals.log = g.str('log');
  const log = (level: 'error' | 'warning', msg: string): void => {
    if (globals.log === undefined) {
      if (level === 'warning') process.stderr.write(`bulkhead-oci: warning: ${msg}\n`);
      return;
    }
    const line = globals.logFormat === 'json' ? JSON.stringify({ level, msg, time: new Date().toISOString() }) : `time="${new Date().toISOString()}" level=${level} msg="${msg.replace(/"/g, '\\"')}"`;
    try {
      fs.appendFileSync(globals.log, line + '\n');
    } catch {
      // the log is best effort; stderr says it anyway
    }
  };
  const warn = (m: string) => log('warning', m);
  try {
    if (!['text', 'json'].includes(globals.logFormat)) throw new OciError(`invalid log-format: ${globals.logFormat} (valid: text, json)`);
    if (g.bool('version') || g.bool('v')) {
      process.stdout.write(`bulkhead-oci version ${version()}\nspec: ${OCI_VERSION}\n`);
      return 0;
    }
    const [cmd, ...args] = g.rest;
    if (cmd === undefined || g.bool('help') || g.bool('h')) {
      process.stdout.write(USAGE);
      return cmd === undefined && !g.bool('help') && !g.bool('h') ? 1 : 0;
    }
    if (g.bool('systemd-cgroup')) throw new OciError('--systemd-cgroup is not supported: bulkhead-oci manages cgroup v2 directories itself (set SystemdCgroup = false)');
    const store = new StateStore(path.resolve(globals.root));
    switch (cmd) {
      case 'spec': {
        const f = new Flags(args, ['rootless'], ['bundle', 'b'], { b: 'bundle' });
        const file = path.join(f.str('bundle') ?? '.', 'config.json');
        if (fs.existsSync(file)) throw new OciError(`File ${file} exists. Remove it first`);
        fs.writeFileSync(file, JSON.stringify((require('./default-spec') as typeof import('./default-spec')).defaultSpec(), null, '\t') + '\n');
        return 0;
      }
      case 'create':
      case 'run': {
        const f = new Flags(args, ['detach', 'd', 'no-pivot', 'no-new-keyring', 'keep', 'no-subreaper'], ['bundle', 'b', 'pid-file', 'console-socket', 'preserve-fds'], { b: 'bundle', d: 'detach' });
        const id = oneId(cmd, f.rest);
        if (f.str('preserve-fds') !== undefined && f.str('preserve-fds') !== '0') throw new OciError('--preserve-fds is not supported yet');
        if (f.bool('no-pivot')) warn('--no-pivot is ignored: the root is always pivot_root\'ed');
        const { create, start, remove } = container();
        const s = await create(store, id, { bundle: f.str('bundle') ?? '.', ...(f.str('pid-file') ? { pidFile: f.str('pid-file') } : {}), ...(f.str('console-socket') ? { consoleSocket: f.str('console-socket') } : {}), warn });
        if (cmd === 'create') return 0;
        await start(store, id, warn);
        if (f.bool('detach')) return 0;
        // run in the foreground: wait for the exit, then delete, and exit with its status.
        // Foreground, as runc run: signals sent to this process go to the container's.
        const forward = (sig: NodeJS.Signals) => {
          try {
            process.kill(s.state.pid, sig);
          } catch {
            // already gone
          }
        };
        const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
        for (const sig of sigs) process.on(sig, forward);
        const r = await s.exited;
        for (const sig of sigs) process.off(sig, forward);
        await remove(store, id, true, warn);
        return r.exitCode ?? 128 + (r.signal ? (osConstants.signals as Record<string, number>)[r.signal] ?? 0 : 0);
      }
      case 'start':
        await container().start(store, oneId(cmd, args), warn);
        return 0;
      case 'state':
        process.stdout.write(JSON.stringify(store.state(oneId(cmd, args)), null, '  ') + '\n');
        return 0;
      case 'kill': {
        const f = new Flags(args, ['all', 'a'], [], { a: 'all' });
        if (f.rest.length < 1 || f.rest.length > 2) throw new OciError('"kill" requires a minimum of 1 and a maximum of 2 arguments');
        StateStore.checkId(f.rest[0]);
        container().kill(store, f.rest[0], parseSignal(f.rest[1] ?? 'SIGTERM'), f.bool('all'));
        return 0;
      }
      case 'delete': {
        const f = new Flags(args, ['force', 'f'], [], { f: 'force' });
        await container().remove(store, oneId(cmd, f.rest), f.bool('force'), warn);
        return 0;
      }
      case 'ps': {
        const f = new Flags(args, [], ['format', 'f'], { f: 'format' });
        const pids = container().ps(store, oneId(cmd, f.rest));
        if ((f.str('format') ?? 'table') === 'json') process.stdout.write(JSON.stringify(pids) + '\n');
        else process.stdout.write('PID\n' + pids.map((p) => `${p}\n`).join(''));
        return 0;
      }
      case 'list': {
        const f = new Flags(args, ['quiet', 'q'], ['format', 'f'], { q: 'quiet', f: 'format' });
        const states = store.ids().map((id) => store.state(id));
        if (f.bool('quiet')) process.stdout.write(states.map((s) => `${s.id}\n`).join(''));
        else if (f.str('format') === 'json') process.stdout.write(JSON.stringify(states) + '\n');
        else {
          process.stdout.write('ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n');
          for (const s of states) process.stdout.write(`${s.id}\t${s.pid ?? 0}\t${s.status}\t${s.bundle}\t${s.created ?? ''}\troot\n`);
        }
        return 0;
      }
      case 'pause':
      case 'resume':
        container().freeze(store, oneId(cmd, args), cmd === 'pause');
        return 0;
      case 'update': {
        const f = new Flags(args, [], ['resources', 'r'], { r: 'resources' });
        const id = oneId(cmd, f.rest);
        const file = f.str('resources');
        if (file === undefined) throw new OciError('update: only --resources FILE (or - for stdin) is supported');
        let resources: unknown;
        try {
          resources = JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8'));
        } catch (err) {
          throw new OciError(`update: --resources ${file}: ${(err as Error).message}`);
        }
        container().update(store, id, resources);
        return 0;
      }
      case 'events': {
        const f = new Flags(args, ['stats'], ['interval']);
        const id = oneId(cmd, f.rest);
        const s = store.read(id);
        if (s === null || !s.cgroup) throw new OciError('events needs a created container with a cgroup');
        const once = () => {
          const { Cgroup } = require('../cgroup/cgroup') as typeof import('../cgroup/cgroup');
          const st = Cgroup.open(s.cgroup as string).stats() as unknown as Record<string, unknown>;
          process.stdout.write(JSON.stringify({ type: 'stats', id, data: st }) + '\n');
        };
        once();
        if (f.bool('stats')) return 0;
        const ms = Number((f.str('interval') ?? '5s').replace(/s$/, '')) * 1000;
        await new Promise<void>((resolve) => {
          const t = setInterval(() => {
            if (store.status(id, s) === 'stopped') {
              clearInterval(t);
              resolve();
            } else once();
          }, ms);
        });
        return 0;
      }
      case 'features':
        process.stdout.write(JSON.stringify(features(), null, '    ') + '\n');
        return 0;
      case 'exec': {
        const f = new Flags(args, ['tty', 't', 'detach', 'd', 'no-new-privs', 'ignore-paused'], ['process', 'p', 'console-socket', 'pid-file', 'cwd', 'env', 'e', 'user', 'u', 'additional-gids', 'g', 'cap', 'c', 'preserve-fds', 'process-label', 'apparmor', 'cgroup'], { t: 'tty', d: 'detach', p: 'process', e: 'env', u: 'user', g: 'additional-gids', c: 'cap' });
        if (f.rest.length < 1) throw new OciError('"exec" requires a minimum of 1 argument');
        const id = f.rest[0];
        StateStore.checkId(id);
        if (f.str('preserve-fds') !== undefined && f.str('preserve-fds') !== '0') throw new OciError('--preserve-fds is not supported yet');
        if (f.str('apparmor') !== undefined) warn('--apparmor is ignored (no AppArmor support)');
        if (f.str('process-label') !== undefined) warn('--process-label is ignored (no SELinux support)');
        if (f.str('cgroup') !== undefined) throw new OciError('exec --cgroup is not supported: the process joins the container\'s own group');
        const ex = execMod();
        let proc: Record<string, unknown>;
        const file = f.str('process');
        if (file !== undefined) {
          try {
            proc = JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8')) as Record<string, unknown>;
          } catch (err) {
            throw new OciError(`exec: --process ${file}: ${(err as Error).message}`);
          }
          if (typeof proc !== 'object' || proc === null || Array.isArray(proc)) throw new OciError(`exec: --process ${file}: must be a JSON object`);
        } else {
          const s = store.read(id);
          if (s === null) throw new OciError(`container ${id} is still being created`);
          const base = ex.bundleConfig(s.bundle).process;
          proc = ex.processFromFlags(typeof base === 'object' && base !== null ? (base as Record<string, unknown>) : {}, f.rest.slice(1), {
            ...(f.str('cwd') !== undefined ? { cwd: f.str('cwd') } : {}),
            env: f.list('env'),
            ...(f.str('user') !== undefined ? { user: f.str('user') } : {}),
            additionalGids: f.list('additional-gids'),
            caps: f.list('cap'),
            tty: f.bool('tty'),
            noNewPrivs: f.bool('no-new-privs'),
          });
        }
        const r = await ex.exec(store, id, { process: proc, detach: f.bool('detach'), ...(f.str('console-socket') ? { consoleSocket: f.str('console-socket') } : {}), ...(f.str('pid-file') ? { pidFile: f.str('pid-file') } : {}), warn });
        if (f.bool('detach')) return 0;
        // Foreground, as runc exec: signals sent here go to the process, its exit status is ours.
        const forward = (sig: NodeJS.Signals) => {
          try {
            process.kill(r.pid, sig);
          } catch {
            // already gone
          }
        };
        const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
        for (const sig of sigs) process.on(sig, forward);
        const code = await r.exited;
        for (const sig of sigs) process.off(sig, forward);
        return code;
      }
      case 'checkpoint':
      case 'restore':
        throw new OciError(`${cmd} is not supported (no CRIU)`);
      default:
        throw new OciError(`No help topic for '${cmd}'`);
    }
  } catch (err) {
    const msg = err instanceof OciError ? err.message : `${(err as Error).message ?? String(err)}`;
    log('error', msg);
    process.stderr.write(`bulkhead-oci: ${msg}\n`);
    return 1;
  }
}

export function features(): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['ro', 'rro', 'rw', 'rrw', 'bind', 'rbind', 'nosuid', 'nodev', 'noexec', 'suid', 'dev', 'exec', 'rnosuid', 'rnodev', 'rnoexec', 'private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable', 'relatime', 'strictatime', 'mode', 'size'],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts', 'time'],
      capabilities: (require('../caps/names') as typeof import('../caps/names')).CAPABILITY_NAMES.map((c) => `CAP_${c}`),
      cgroup: { v1: false, v2: true, systemd: false, systemdUser: false },
      seccomp: { enabled: true, actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG'] },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'org.bulkhead.version': version() },
  };
}

export function runMain(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bulkhead-oci: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
