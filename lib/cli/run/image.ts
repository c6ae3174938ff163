// `bulkhead run IMAGE`: resolves the image (Docker's name normalisation, pulling
// it per --pull), mounts its overlay root and applies its config under the
// command line's flags as docker run does: Entrypoint and Cmd (--entrypoint
// overrides and clears Cmd), Env under -e, WorkingDir under -w, User under -u
// (names looked up in the image's own /etc/passwd and /etc/group), Volumes as
// tmpfs mounts, StopSignal for the first SIGTERM.
import * as fs from 'node:fs';
import { resolveUser } from '../../image/config/user';
import { ImageError } from '../../image/errors';
import { Images, type ImageRootfs } from '../../image/images';
import { parsePlatform } from '../../image/manifest';
import { parseReference } from '../../image/reference/parse';
import type { ImageRecord } from '../../image/store/store';
import { pullWithProgress } from '../image/progress';
import { UsageError, type Parsed } from '../args';
import { runConfig, type RunConfig } from './config';

export interface ImageRun {
  cfg: RunConfig;
  stopSignal?: NodeJS.Signals;
  release(): void;
}

const fail = (msg: string): never => {
  throw new UsageError(`bulkhead run: ${msg}`, 125);
};

/**
 * The image named on the command line, if any: the first word before `--` when
 * there is no --rootfs. `bulkhead run [--rootfs DIR] -- CMD` keeps running CMD
 * on a directory or on the embedded default.
 */
export function imageArgument(argv: string[], parsed: Parsed): { image: string; command: string[] } | null {
  if (parsed.flags.rootfs !== undefined || !parsed.rest || parsed.rest.length === 0) return null;
  const at = argv.length - parsed.rest.length - 1;
  if (at >= 0 && argv[at] === '--') return null;
  const [image, ...command] = parsed.rest;
  return { image, command: command[0] === '--' ? command.slice(1) : command };
}

function explicitEnvKeys(flags: Parsed['flags']): Set<string> {
  const keys = new Set<string>();
  for (const e of (flags.env as string[] | undefined) ?? []) keys.add(e.split('=')[0]);
  for (const file of (flags['env-file'] as string[] | undefined) ?? []) {
    try {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (line.trim() && !line.trimStart().startsWith('#')) keys.add(line.split('=')[0]);
    } catch {
      /* runConfig names the unreadable file */
    }
  }
  return keys;
}

async function findOrPull(images: Images, name: string, policy: string, platform: string | undefined): Promise<ImageRecord> {
  if (!['missing', 'always', 'never'].includes(policy)) fail(`--pull must be missing, always or never, got ${JSON.stringify(policy)}`);
  let local: ImageRecord | undefined;
  try {
    local = images.resolve(name);
  } catch (err) {
    if (err instanceof ImageError) fail(err.message);
    throw err;
  }
  if (local && policy !== 'always') return local;
  if (policy === 'never') fail(`${name}: no such image (and --pull never)`);
  if (platform !== undefined) {
    try {
      parsePlatform(platform);
    } catch (err) {
      fail(`--platform ${(err as Error).message}`);
    }
  }
  return pullWithProgress(images, name, { platform, quiet: false, stream: process.stderr, command: 'run' });
}

export async function prepareImage(argv: string[], parsed: Parsed): Promise<ImageRun | null> {
  const arg = imageArgument(argv, parsed);
  if (!arg) return null;
  const { flags } = parsed;
  try {
    parseReference(arg.image);
  } catch (err) {
    fail((err as Error).message);
  }
  const images = new Images(flags['data-root'] !== undefined ? { root: flags['data-root'] as string } : {});
  const record = await findOrPull(images, arg.image, (flags.pull as string | undefined) ?? 'missing', flags.platform as string | undefined);
  let root: ImageRootfs | undefined;
  try {
    root = await images.rootfsFor(record, { readonly: Boolean(flags['read-only']) });
    const c = root.config.config ?? {};
    const entrypoint = flags.entrypoint !== undefined ? ((flags.entrypoint as string) === '' ? [] : [flags.entrypoint as string]) : (c.Entrypoint ?? []);
    const cmd = arg.command.length ? arg.command : flags.entrypoint !== undefined ? [] : (c.Cmd ?? []);
    const argvIn = [...entrypoint, ...cmd];
    if (argvIn.length === 0) fail(`${arg.image}: no command specified (the image has neither Entrypoint nor Cmd)`);
    // -u is looked up here, in the image, so runConfig sees no (numeric-only) --user.
    const cfg = runConfig({ ...flags, user: undefined, rootfs: root.rootfs.target }, argvIn);
    const o = cfg.options;
    // spawn() mounts the overlay itself, in the container's namespace.
    o.rootfs = root.rootfs;
    const userSpec = (flags.user as string | undefined) ?? c.User ?? '';
    const user = userSpec ? resolveUser(root.layers, userSpec, arg.image) : resolveUser(root.layers, '0', arg.image);
    o.uid = user.uid;
    o.gid = user.gid;
    if (user.groups.length) o.groups = user.groups;
    const explicit = explicitEnvKeys(flags);
    const env: Record<string, string> = { ...(o.env ?? {}) };
    const imageEnv = new Set<string>();
    for (const kv of c.Env ?? []) {
      const eq = kv.indexOf('=');
      const k = eq < 0 ? kv : kv.slice(0, eq);
      if (!explicit.has(k)) env[k] = eq < 0 ? '' : kv.slice(eq + 1);
      imageEnv.add(k);
    }
    if (!explicit.has('HOME') && !imageEnv.has('HOME')) env.HOME = user.home || '/';
    o.env = env;
    if (flags.workdir === undefined && c.WorkingDir) o.cwd = c.WorkingDir;
    // Made by the child inside the mounted root, each step resolved in it (openat2).
    if (o.cwd && !flags['read-only']) o.createCwd = { uid: user.uid, gid: user.gid };
    const taken = new Set((o.mounts ?? []).map((m) => m.target));
    for (const v of Object.keys(c.Volumes ?? {})) if (!taken.has(v)) (o.mounts ??= []).push({ type: 'tmpfs', target: v });
    const stop = c.StopSignal ? (/^\d+$/.test(c.StopSignal) ? undefined : ((c.StopSignal.startsWith('SIG') ? c.StopSignal : `SIG${c.StopSignal}`) as NodeJS.Signals)) : undefined;
    return { cfg, ...(stop ? { stopSignal: stop } : {}), release: () => root?.release() };
  } catch (err) {
    root?.release();
    if (err instanceof ImageError) fail(err.message);
    throw err;
  }
}
