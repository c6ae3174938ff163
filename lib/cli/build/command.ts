// `bulkhead build [OPTIONS] CONTEXT`: docker build's flags and the classic
// builder's output (Step N/M, the commands' output, ---> ids, Successfully
// built/tagged); -q prints only the image id. Bad flags are one line and exit
// 125 before anything is made; a failed build is one line and exit 1, as
// docker build exits. Ctrl-C aborts the build: the running step is killed, its
// mount removed, and nothing half-written is left.
import * as path from 'node:path';
import { BuildError } from '../../build/errors';
import { build } from '../../build/build';
import { ImageError } from '../../image/errors';
import { parsePlatform } from '../../image/manifest';
import { parseReference } from '../../image/reference/parse';
import { formatHelp, parseFlags, UsageError, type FlagSpec } from '../args';

const SPECS: FlagSpec[] = [
  { name: 'tag', short: 't', type: 'list', value: 'NAME[:TAG]', help: 'name the image (repeatable)' },
  { name: 'file', short: 'f', type: 'string', value: 'FILE', help: 'the Dockerfile (default: CONTEXT/Dockerfile)' },
  { name: 'build-arg', type: 'list', value: 'KEY=VALUE', help: 'set a build-time variable (repeatable; KEY alone takes it from the environment)' },
  { name: 'target', type: 'string', value: 'STAGE', help: 'build up to this stage and tag it' },
  { name: 'no-cache', type: 'boolean', help: 'do not use the build cache' },
  { name: 'pull', type: 'boolean', help: 'pull every FROM image, even when it is in the store' },
  { name: 'label', type: 'list', value: 'KEY=VALUE', help: 'set a label on the image (repeatable)' },
  { name: 'platform', type: 'string', value: 'OS/ARCH', help: 'platform of the FROM images (default: this machine\'s)' },
  { name: 'network', type: 'string', value: 'MODE', help: 'network of RUN steps: default (host, as docker\'s classic builder), host or none' },
  { name: 'quiet', short: 'q', type: 'boolean', help: 'print only the image id' },
  { name: 'data-root', type: 'string', value: 'DIR', help: 'image data (default: $BULKHEAD_ROOT or /var/lib/bulkhead)' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const USAGE = 'bulkhead build [OPTIONS] CONTEXT';
const fail = (msg: string): never => {
  throw new UsageError(`bulkhead build: ${msg}`, 125);
};

function pairs(list: string[] | undefined, flag: string, fromEnv: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === '') fail(`--${flag} ${JSON.stringify(item)}: expected KEY=VALUE`);
    if (eq < 0) {
      if (!fromEnv) fail(`--${flag} ${JSON.stringify(item)}: expected KEY=VALUE`);
      // docker build --build-arg KEY: the value of KEY in this environment, if set.
      const v = process.env[key];
      if (v !== undefined) out[key] = v;
      continue;
    }
    out[key] = item.slice(eq + 1);
  }
  return out;
}

export async function buildCommand(argv: string[]): Promise<number> {
  let p: ReturnType<typeof parseFlags>;
  try {
    p = parseFlags(argv, SPECS, 'build');
  } catch (err) {
    // docker build exits 125 on a flag it does not know, as on any bad flag.
    if (err instanceof UsageError) throw new UsageError(err.message, 125);
    throw err;
  }
  if (p.flags.help) {
    process.stdout.write(formatHelp(USAGE, 'Build an image from a Dockerfile.', SPECS));
    return 0;
  }
  const args = [...p.positionals, ...(p.rest ?? [])];
  if (args.length !== 1) fail(`expected exactly one argument, the context directory (usage: ${USAGE})`);
  if (args[0] === '-' || /^[a-z]+:\/\//.test(args[0]) || args[0].startsWith('git@')) fail(`context ${JSON.stringify(args[0])}: only a local directory is supported as the context`);
  const tags = (p.flags.tag as string[] | undefined) ?? [];
  for (const t of tags) {
    try {
      const ref = parseReference(t);
      if (ref.digest) fail(`--tag ${JSON.stringify(t)}: a tag cannot name a digest`);
    } catch (err) {
      if (err instanceof ImageError) fail(`--tag ${JSON.stringify(t)}: ${err.message}`);
      throw err;
    }
  }
  const platform = p.flags.platform as string | undefined;
  if (platform !== undefined) {
    try {
      parsePlatform(platform);
    } catch (err) {
      fail(`--platform ${(err as Error).message}`);
    }
  }
  const network = p.flags.network as string | undefined;
  if (network !== undefined && !['default', 'host', 'none'].includes(network)) fail(`--network must be default, host or none, got ${JSON.stringify(network)}`);
  const quiet = Boolean(p.flags.quiet);
  const ac = new AbortController();
  const onSigint = () => ac.abort(new Error('interrupted'));
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const r = await build({
      context: args[0],
      ...(p.flags.file !== undefined ? { dockerfile: path.resolve(p.flags.file as string) } : {}),
      tags,
      buildArgs: pairs(p.flags['build-arg'] as string[] | undefined, 'build-arg', true),
      labels: pairs(p.flags.label as string[] | undefined, 'label', false),
      ...(p.flags.target !== undefined ? { target: p.flags.target as string } : {}),
      noCache: Boolean(p.flags['no-cache']),
      pull: Boolean(p.flags.pull),
      ...(platform !== undefined ? { platform } : {}),
      ...(network === 'host' || network === 'none' ? { network } : {}),
      ...(p.flags['data-root'] !== undefined ? { dataRoot: p.flags['data-root'] as string } : {}),
      ...(quiet ? {} : { onProgress: (text: string) => process.stdout.write(text) }),
      signal: ac.signal,
    });
    if (quiet) process.stdout.write(`${r.id}\n`);
    return 0;
  } catch (err) {
    if (err instanceof BuildError || err instanceof ImageError) {
      // docker build: the error on stderr, exit 1.
      process.stderr.write(`${err instanceof BuildError && err.code === 'EABORTED' ? 'build cancelled' : err.message}\n`);
      return 1;
    }
    if (err instanceof TypeError || err instanceof RangeError) fail(err.message);
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
