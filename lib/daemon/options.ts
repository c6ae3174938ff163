// bulkheadd's command line, with dockerd's names where dockerd has the option:
//   -H, --host unix://PATH      the API socket (default unix:///run/bulkhead.sock)
//   --data-root DIR             the engine's root (default $BULKHEAD_ROOT or /var/lib/bulkhead)
//   -G, --group NAME            the socket's group (default "docker" when it exists, else root)
//   -p, --pidfile FILE          (default /run/bulkheadd.pid)
//   --rootfs-image NAME=DIR     a name `docker run NAME` resolves to a root filesystem directory (repeatable)
//   --shutdown-timeout SECONDS  how long SIGTERM waits for containers to stop (default 15)
//   --max-build-context SIZE    the largest context POST /build unpacks (default 4g; bytes or k/m/g)
//   -l, --log-level LEVEL       info (default) or debug (every request)
//   -b, --bridge none           no default bridge network: containers without --network get none
import * as path from 'node:path';
import { parseRootfsImage } from '../api/images';
import { DEFAULT_ROOT } from '../engine/index';

export interface DaemonOptions {
  socket: string;
  root: string;
  group: string | null;
  pidfile: string;
  images: Array<{ name: string; dir: string }>;
  shutdownTimeout: number;
  /** "none": no default bridge network (dockerd's --bridge none); containers without --network get none. */
  bridge: 'default' | 'none';
  /** POST /build's cap on the unpacked context, in bytes. */
  maxBuildContext: number;
  debug: boolean;
  help: boolean;
}

export const USAGE = `Usage: bulkheadd [OPTIONS]

Serves the Docker Engine API (v1.43) on a unix socket over one data root.

Options:
  -H, --host unix://PATH        API socket (default unix:///run/bulkhead.sock)
      --data-root DIR           data root (default $BULKHEAD_ROOT or ${DEFAULT_ROOT})
  -G, --group NAME              group of the socket, mode 0660 (default docker, if it exists)
  -p, --pidfile FILE            pid file (default /run/bulkheadd.pid)
      --rootfs-image NAME=DIR   make image NAME a root filesystem directory (repeatable)
      --shutdown-timeout SECS   SIGTERM: seconds for containers to stop (default 15)
      --max-build-context SIZE  largest build context unpacked, bytes or k/m/g (default 4g)
  -l, --log-level LEVEL         info or debug (debug logs every request)
  -b, --bridge none             no default bridge network (containers default to --network none)
  -h, --help                    this help
`;

export class UsageError extends Error {}

export function parseDaemonArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonOptions {
  const o: DaemonOptions = {
    socket: '/run/bulkhead.sock',
    root: env.BULKHEAD_ROOT || DEFAULT_ROOT,
    group: 'docker',
    pidfile: '/run/bulkheadd.pid',
    images: [],
    shutdownTimeout: 15,
    bridge: 'default',
    maxBuildContext: 4 * 1024 ** 3,
    debug: false,
    help: false,
  };
  let groupGiven = false;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let v: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => {
      if (v !== undefined) return v;
      const n = argv[++i];
      if (n === undefined) throw new UsageError(`${a} needs a value`);
      return n;
    };
    switch (a) {
      case '-H':
      case '--host': {
        const h = val();
        if (!h.startsWith('unix://')) throw new UsageError(`--host: only unix://PATH is supported, got ${JSON.stringify(h)}`);
        const p = h.slice('unix://'.length);
        if (!path.isAbsolute(p)) throw new UsageError(`--host: ${JSON.stringify(p)} is not an absolute path`);
        o.socket = p;
        break;
      }
      case '--data-root':
        o.root = path.resolve(val());
        break;
      case '-G':
      case '--group':
        o.group = val();
        groupGiven = true;
        break;
      case '-p':
      case '--pidfile':
        o.pidfile = path.resolve(val());
        break;
      case '--rootfs-image':
        try {
          o.images.push(parseRootfsImage(val()));
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        break;
      case '--shutdown-timeout': {
        const s = val();
        if (!/^\d+$/.test(s)) throw new UsageError(`--shutdown-timeout: expected whole seconds, got ${JSON.stringify(s)}`);
        o.shutdownTimeout = Number(s);
        break;
      }
      case '--max-build-context': {
        const s = val();
        const m = /^(\d+)([kmg]?)$/i.exec(s);
        if (!m) throw new UsageError(`--max-build-context: expected bytes, or a number with k, m or g, got ${JSON.stringify(s)}`);
        o.maxBuildContext = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
        if (!Number.isSafeInteger(o.maxBuildContext)) throw new UsageError(`--max-build-context: ${s} is too large`);
        break;
      }
      case '-l':
      case '--log-level': {
        const l = val();
        if (!['debug', 'info', 'warn', 'error'].includes(l)) throw new UsageError(`--log-level: expected debug, info, warn or error, got ${JSON.stringify(l)}`);
        o.debug = l === 'debug';
        break;
      }
      case '-b':
      case '--bridge': {
        const b = val();
        if (b !== 'none') throw new UsageError(`--bridge: only "none" is supported (the default network's bridge is bulkhead0), got ${JSON.stringify(b)}`);
        o.bridge = 'none';
        break;
      }
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${JSON.stringify(argv[i])}`);
    }
  }
  if (!groupGiven) o.group = 'docker';
  return o;
}
