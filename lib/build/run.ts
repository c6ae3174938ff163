// RUN: the command runs with spawn() and Bulkhead's default security (Docker's
// capabilities, seccomp profile, no_new_privs, masked paths), as the image's
// USER in its WORKDIR (made first, so it ends in this step's layer as Docker's
// does), with the config's Env plus the build args in scope (ENV wins), on the
// host's network as the classic builder's default, or none. Its output is
// streamed to the progress as it comes; a non-zero exit is an ERUN error
// carrying the code and the last lines.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveUser } from '../image/config/user';
import { mkdirInRoot } from '../image/config/workdir';
import { spawn } from '../spawn/index';
import { DEFAULT_PATH } from '../util/default-path';
import { BuildError } from './errors';
import type { Instruction } from './parse/dockerfile';
import type { BuildConfig } from './state';
import { envMap } from './state';

export interface RunStepOptions {
  rootfs: string;
  argv: string[];
  config: BuildConfig;
  /** Build args in scope, under the config's Env. */
  args: Array<[string, string]>;
  network: 'host' | 'none';
  onOutput: (text: string) => void;
  signal?: AbortSignal;
  ins: Instruction;
}

const TAIL = 10;

/** The host's name files a RUN on the host's network sees, as the classic builder gives its build containers. */
export const NAME_FILES = ['etc/resolv.conf', 'etc/hosts'];

/**
 * Bind mounts of the host's name files, read-only, where the image's place for
 * them is a plain file or nothing under a real /etc directory (a symlink there
 * is left alone: spawn would refuse to make a mount point through it).
 */
function nameFileMounts(rootfs: string): Array<{ type: 'bind'; source: string; target: string; readonly: true }> {
  const plain = (p: string, dir: boolean) => {
    try {
      const st = fs.lstatSync(p);
      return dir ? st.isDirectory() : st.isFile();
    } catch {
      return true;
    }
  };
  // spawn makes a mount point's file, not its directories: an image without /etc gets none.
  if (!fs.existsSync(path.join(rootfs, 'etc')) || !plain(path.join(rootfs, 'etc'), true)) return [];
  return NAME_FILES.filter((f) => fs.existsSync(`/${f}`) && plain(path.join(rootfs, f), false)).map((f) => ({ type: 'bind', source: `/${f}`, target: `/${f}`, readonly: true }));
}

export async function runStep(o: RunStepOptions): Promise<void> {
  const c = o.config.config;
  const env = new Map<string, string>(o.args);
  for (const [k, v] of envMap(c.Env)) env.set(k, v);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  const cwd = c.WorkingDir || '/';
  mkdirInRoot(o.rootfs, cwd);
  let user: ReturnType<typeof resolveUser> = { uid: 0, gid: 0, groups: [] };
  if (c.User) {
    try {
      user = resolveUser(o.rootfs, c.User, 'build');
    } catch (err) {
      throw new BuildError('ERUN', `Dockerfile:${o.ins.line}: RUN: ${(err as Error).message}`, o.ins.line, o.ins.column, { cause: err });
    }
  }
  if (!env.has('HOME')) env.set('HOME', user.home ?? (user.uid === 0 ? '/root' : '/'));
  const tail: string[] = [''];
  const keep = (text: string) => {
    const parts = text.split('\n');
    tail[tail.length - 1] += parts[0];
    for (const p of parts.slice(1)) tail.push(p);
    while (tail.length > TAIL + 1) tail.shift();
  };
  const proc = spawn(o.argv[0], o.argv.slice(1), {
    rootfs: o.rootfs,
    env: Object.fromEntries(env),
    cwd,
    uid: user.uid,
    gid: user.gid,
    groups: user.groups,
    namespaces: o.network === 'host' ? { net: false } : {},
    ...(o.network === 'host' ? { mounts: nameFileMounts(o.rootfs) } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    ...(o.signal ? { signal: o.signal, killSignal: 'SIGKILL' as const } : {}),
  });
  // The streams may still hold output after the exit: the step ends when both are drained.
  const drained = [proc.stdout, proc.stderr].map(
    (s) =>
      new Promise<void>((resolve) => {
        if (!s) return resolve();
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          keep(d);
          o.onOutput(d);
        });
        s.on('end', resolve);
        s.on('close', resolve);
        s.on('error', () => resolve());
      }),
  );
  let result;
  try {
    result = await proc;
    await Promise.all(drained);
  } catch (err) {
    if (o.signal?.aborted) throw new BuildError('EABORTED', 'build cancelled', o.ins.line, o.ins.column, { cause: err });
    throw new BuildError('ERUN', `Dockerfile:${o.ins.line}: RUN could not start ${JSON.stringify(o.argv[0])}: ${(err as Error).message}`, o.ins.line, o.ins.column, { cause: err });
  }
  if (o.signal?.aborted || result.isCanceled) throw new BuildError('EABORTED', 'build cancelled', o.ins.line, o.ins.column);
  if (result.exitCode !== 0) {
    const code = result.exitCode ?? 128 + (result.signal ? os.constants.signals[result.signal] : 0);
    const lines = tail.filter((l, i) => i < tail.length - 1 || l !== '');
    throw new BuildError(
      'ERUN',
      `The command '${o.argv.join(' ')}' returned a non-zero code: ${code}` + (lines.length ? `\nlast lines of its output:\n${lines.map((l) => `  ${l}`).join('\n')}` : ''),
      o.ins.line,
      o.ins.column,
      { exitCode: code, output: lines },
    );
  }
}
