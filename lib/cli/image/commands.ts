// The image commands of `bulkhead`, with docker's names and output: pull, images
// (image ls), rmi (image rm), tag, inspect (image inspect), load, import, save, push.
// Failures are one line naming the image, exit 125 (main.ts prints them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { applyChange } from '../../image/archive/import';
import { ImageError } from '../../image/errors';
import { Images } from '../../image/images';
import { familiarName, parseReference } from '../../image/reference/parse';
import { formatHelp, parseFlags, UsageError, type FlagSpec } from '../args';
import { humanSize, pullWithProgress } from './progress';

const ROOT_FLAG: FlagSpec = { name: 'data-root', type: 'string', value: 'DIR', help: 'image data (default: $BULKHEAD_ROOT or /var/lib/bulkhead)' };
const HELP: FlagSpec = { name: 'help', type: 'boolean', help: 'show this help' };

function open(flags: Record<string, unknown>): Images {
  return new Images(flags['data-root'] !== undefined ? { root: flags['data-root'] as string } : {});
}

function parse(argv: string[], name: string, usage: string, summary: string, specs: FlagSpec[], min: number, max = Infinity) {
  const all = [...specs, ROOT_FLAG, HELP];
  const p = parseFlags(argv, all, name);
  if (p.flags.help) {
    process.stdout.write(formatHelp(usage, summary, all));
    return null;
  }
  const args = [...p.positionals, ...(p.rest ?? [])];
  if (args.length < min || args.length > max) throw new UsageError(`bulkhead ${name}: expected ${min === max ? min : `${min}${max === Infinity ? ' or more' : `-${max}`}`} argument(s) (usage: ${usage})`, 125);
  return { flags: p.flags, args };
}

export async function pullCommand(argv: string[]): Promise<number> {
  const p = parse(argv, 'pull', 'bulkhead pull [OPTIONS] NAME[:TAG|@DIGEST]', 'Pull an image from a registry.', [
    { name: 'platform', type: 'string', value: 'OS/ARCH', help: 'platform to pull (default: this machine\'s)' },
    { name: 'quiet', short: 'q', type: 'boolean', help: 'print only the image reference' },
  ], 1, 1);
  if (!p) return 0;
  const images = open(p.flags);
  const rec = await pullWithProgress(images, p.args[0], { platform: p.flags.platform as string | undefined, quiet: Boolean(p.flags.quiet) });
  if (p.flags.quiet) process.stdout.write(`${parseReference(p.args[0]).domain}/${parseReference(p.args[0]).path}:${parseReference(p.args[0]).tag ?? ''}${parseReference(p.args[0]).digest ? `@${parseReference(p.args[0]).digest}` : ''}\n`.replace(/:@/, '@'));
  void rec;
  return 0;
}

export async function imagesCommand(argv: string[]): Promise<number> {
  const p = parse(argv, 'images', 'bulkhead images [OPTIONS]', 'List images.', [
    { name: 'quiet', short: 'q', type: 'boolean', help: 'only image ids' },
    { name: 'no-trunc', type: 'boolean', help: 'full image ids' },
    { name: 'digests', type: 'boolean', help: 'show digests' },
    { name: 'format', type: 'string', value: 'json', help: 'json: one JSON object a line' },
  ], 0, 0);
  if (!p) return 0;
  const list = open(p.flags).list();
  const id = (i: string) => (p.flags['no-trunc'] ? i : i.slice(7, 19));
  if (p.flags.format === 'json') {
    for (const i of list) process.stdout.write(JSON.stringify(i) + '\n');
    return 0;
  }
  if (p.flags.format !== undefined) throw new UsageError(`bulkhead images: --format supports only json, got ${JSON.stringify(p.flags.format)}`, 125);
  if (p.flags.quiet) {
    for (const i of list) process.stdout.write(`${id(i.id)}\n`);
    return 0;
  }
  const rows: string[][] = [['REPOSITORY', 'TAG', ...(p.flags.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const i of list) {
    const tags = i.repoTags.length ? i.repoTags : ['<none>:<none>'];
    for (const t of tags) {
      const fam = t === '<none>:<none>' ? t : familiarName(parseReference(t));
      const at = fam.lastIndexOf(':');
      rows.push([fam.slice(0, at), fam.slice(at + 1), ...(p.flags.digests ? [i.repoDigests[0]?.split('@')[1] ?? '<none>'] : []), id(i.id), i.created ? i.created.slice(0, 19).replace('T', ' ') : 'N/A', humanSize(i.size)]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) process.stdout.write(r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c] + 3))).join('') + '\n');
  return 0;
}

export async function rmiCommand(argv: string[]): Promise<number> {
  const p = parse(argv, 'rmi', 'bulkhead rmi [OPTIONS] IMAGE [IMAGE...]', 'Remove images (a tag; the image goes with its last tag).', [{ name: 'force', short: 'f', type: 'boolean', help: 'remove every tag of an image named by id' }], 1);
  if (!p) return 0;
  const images = open(p.flags);
  let status = 0;
  for (const name of p.args) {
    try {
      const r = await images.remove(name, { force: Boolean(p.flags.force) });
      for (const t of r.untagged) process.stdout.write(`Untagged: ${familiarName(parseReference(t))}\n`);
      for (const d of r.deleted) process.stdout.write(`Deleted: ${d}\n`);
    } catch (err) {
      if (!(err instanceof ImageError)) throw err;
      process.stderr.write(`bulkhead rmi: ${err.message}\n`);
      status = 125;
    }
  }
  return status;
}

export async function tagCommand(argv: string[]): Promise<number> {
  const p = parse(argv, 'tag', 'bulkhead tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', 'Give an image another name.', [], 2, 2);
  if (!p) return 0;
  await open(p.flags).tag(p.args[0], p.args[1]);
  return 0;
}

export async function inspectCommand(argv: string[]): Promise<number> {
  const p = parse(argv, 'inspect', 'bulkhead image inspect IMAGE [IMAGE...]', 'Show images as JSON (docker image inspect\'s fields).', [], 1);
  if (!p) return 0;
  const images = open(p.flags);
  const idx = images.store.readIndex();
  const out = p.args.map((n) => {
    const img = images.get(n);
    const cfg = images.config(img);
    return {
      Id: img.id,
      RepoTags: Object.entries(idx.tags).filter(([, v]) => v === img.id).map(([k]) => familiarName(parseReference(k))),
      RepoDigests: img.repoDigests,
      Created: img.created ?? '',
      Architecture: img.platform.architecture,
      ...(img.platform.variant ? { Variant: img.platform.variant } : {}),
      Os: img.platform.os,
      Size: img.size,
      Config: cfg.config ?? {},
      RootFS: { Type: 'layers', Layers: img.layers.map((l) => l.diffId) },
      Manifest: { Digest: img.manifest, MediaType: img.manifestMediaType, Layers: img.layers.map((l) => ({ Digest: l.digest, Size: l.size, MediaType: l.mediaType })) },
    };
  });
  process.stdout.write(JSON.stringify(out, null, 4) + '\n');
  return 0;
}

export async function loadCommand(argv: string[]): Promise<number> {
  const p = parse(argv, 'load', 'bulkhead load [-i FILE]', 'Load images from a docker-archive or an OCI layout (directory or tar, plain or gzip).', [
    { name: 'input', short: 'i', type: 'string', value: 'FILE', help: 'the archive or layout directory (default: stdin)' },
    { name: 'quiet', short: 'q', type: 'boolean', help: 'print nothing' },
  ], 0, 0);
  if (!p) return 0;
  const images = open(p.flags);
  let input = p.flags.input as string | undefined;
  let spool: { dir: string; close: () => void } | undefined;
  if (input === undefined) {
    // docker load reads stdin when no file is named: spooled into the store's tmp/ (a tar is read in one pass, but an OCI layout needs its index first).
    if (process.stdin.isTTY) throw new UsageError('bulkhead load: give --input FILE or pipe an archive to stdin', 125);
    spool = images.store.tempDir('load');
    input = path.join(spool.dir, 'stdin.tar');
    await pipeline(process.stdin, fs.createWriteStream(input));
  }
  let loaded;
  try {
    loaded = await images.load(input);
  } finally {
    if (spool) {
      fs.rmSync(spool.dir, { recursive: true, force: true });
      spool.close();
    }
  }
  if (!p.flags.quiet) {
    for (const { image, tags } of loaded) {
      if (tags.length === 0) process.stdout.write(`Loaded image ID: ${image.id}
`);
      for (const t of tags) process.stdout.write(`Loaded image: ${familiarName(parseReference(t))}
`);
    }
  }
  return 0;
}

export async function importCommand(argv: string[]): Promise<number> {
  const p = parse(argv, 'import', 'bulkhead import [OPTIONS] FILE|- [REPOSITORY[:TAG]]', 'Import the contents of a root filesystem tarball (plain or gzip; - for stdin) as an image of one layer.', [
    { name: 'change', short: 'c', type: 'list', value: 'INSTRUCTION', help: 'apply a Dockerfile instruction to the image\'s config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR' },
    { name: 'quiet', short: 'q', type: 'boolean', help: 'print nothing' },
  ], 1, 2);
  if (!p) return 0;
  const [file, name] = p.args;
  // Everything the user typed is checked before anything is read or stored.
  if (name !== undefined) {
    try {
      parseReference(name);
    } catch (err) {
      throw new UsageError(`bulkhead import: ${(err as Error).message}`, 125);
    }
  }
  const changes = (p.flags.change as string[] | undefined) ?? [];
  for (const c of changes) {
    try {
      applyChange({}, c);
    } catch (err) {
      throw new UsageError(`bulkhead import: --change ${JSON.stringify(c)}: ${(err as Error).message}`, 125);
    }
  }
  if (file === '-' && process.stdin.isTTY) throw new UsageError('bulkhead import: - reads the tarball from stdin; pipe one in', 125);
  let source: fs.ReadStream | NodeJS.ReadStream;
  if (file === '-') source = process.stdin;
  else {
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`bulkhead import: ${file}: no such file`, 125);
    source = fs.createReadStream(file);
  }
  const rec = await open(p.flags).import(source as AsyncIterable<Buffer>, name, { changes });
  if (!p.flags.quiet) process.stdout.write(`${rec.id}\n`);
  return 0;
}

export async function saveCommand(argv: string[]): Promise<number> {
  const p = parse(argv, 'save', 'bulkhead save -o FILE IMAGE [IMAGE...]', 'Save images to a docker-archive (docker save\'s format).', [{ name: 'output', short: 'o', type: 'string', value: 'FILE', help: 'the archive to write' }], 1);
  if (!p) return 0;
  if (p.flags.output === undefined) throw new UsageError('bulkhead save: --output FILE is required (writing to stdout is not supported)', 125);
  await open(p.flags).save(p.args, p.flags.output as string);
  return 0;
}

/** `bulkhead image SUBCOMMAND`: ls, inspect, rm, tag, pull, push, load, save. */
export async function imageCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const subs: Record<string, (a: string[]) => Promise<number>> = { ls: imagesCommand, list: imagesCommand, inspect: inspectCommand, rm: rmiCommand, tag: tagCommand, pull: pullCommand, load: loadCommand, save: saveCommand, import: importCommand };
  const { pushCommand } = await import('./push');
  subs.push = pushCommand;
  const fn = sub ? subs[sub] : undefined;
  if (!fn) throw new UsageError(`bulkhead image: ${sub ? `unknown subcommand "${sub}"` : 'a subcommand is needed'} (valid: ${Object.keys(subs).join(', ')})`);
  return fn(rest);
}
