// COPY and ADD: sources resolved in the context (or --from a stage's or an
// image's root, mounted read-only), hashed for the cache, and copied into the
// step's root with Docker's destination rules, --chown and --chmod. All of the
// file work is lib/build/context's (confined walks and writes); this file turns
// an instruction into its calls and its errors into ones naming the line.
import { ContextError } from './context/errors';
import { createHash } from 'node:crypto';
import { addInto, copyInto, downloadSource, hashSources, isRemoteSource, openContext, openRoot, remoteSourceError, resolveSources, type BuildContext, type Download, type SourceRoot, type SourceSet } from './context/index';
import { mountOnHost } from '../image/overlay/mount';
import type { Store } from '../image/store/store';
import { ensureLayer } from '../image/unpack/layer';
import { BuildError } from './errors';
import type { Lease } from './layer/step';
import { bad, words } from './metadata';
import type { Instruction } from './parse/dockerfile';
import { processWord, processWords, type Env } from './parse/words';
import type { StepState } from './state';

/** The context, opened on first use and closed with the build. */
export class CopyContext {
  private ctx: BuildContext | undefined;

  constructor(
    readonly dir: string,
    readonly dockerfile: string,
  ) {}

  open(): BuildContext {
    this.ctx ??= openContext(this.dir, { dockerfile: this.dockerfile });
    return this.ctx;
  }

  close(): void {
    this.ctx?.close();
    this.ctx = undefined;
  }
}

export interface CopyPlan {
  createdBy: string;
  contentHash: string;
  apply(rootfs: string): Promise<void>;
  /** Releases a --from root. */
  close(): void;
}

const FLAGS = { COPY: ['chown', 'chmod', 'from'], ADD: ['chown', 'chmod'] };

/** Context errors name the instruction's line; their message stays Docker's. */
export function contextError(ins: Instruction, err: unknown): unknown {
  if (err instanceof ContextError) return new BuildError('ECONTEXT', `Dockerfile:${ins.line}:${ins.column}: ${err.message}`, ins.line, ins.column, { cause: err });
  if (err instanceof RangeError || err instanceof TypeError) return new BuildError('EINSTRUCTION', `Dockerfile:${ins.line}:${ins.argsColumn}: ${ins.keyword}: ${err.message}`, ins.line, ins.argsColumn, { cause: err });
  return err;
}

export interface CopyDeps {
  ctx: CopyContext;
  store: Store;
  lease: Lease;
  from: (name: string) => Promise<StepState>;
  /** The build's signal: aborts a download. */
  signal?: AbortSignal;
}

export async function copyStep(deps: CopyDeps, ins: Instruction, state: StepState, vars: Env, escape: string): Promise<CopyPlan> {
  const kw = ins.keyword as 'COPY' | 'ADD';
  const opts: { chown?: string; chmod?: string; from?: string } = {};
  for (const f of ins.flags) {
    if (!FLAGS[kw].includes(f.name)) throw bad(ins, `unknown flag: --${f.name} (valid: ${FLAGS[kw].map((n) => `--${n}`).join(', ')})`);
    if (f.value === null || f.value === '') throw bad(ins, `--${f.name} needs a value`);
    opts[f.name as 'chown' | 'chmod' | 'from'] = words(ins, () => processWord(f.value as string, vars, escape));
  }
  if (ins.heredoc) throw bad(ins, `${kw} with a heredoc is not supported yet`);
  const args = words(ins, () => (ins.json ? ins.json.map((w) => processWord(w, vars, escape)) : processWords(ins.rest, vars, escape)));
  if (args.length < 2) throw bad(ins, `${kw} requires at least two arguments, but only one was provided. Destination could not be determined.`);
  const dest = args[args.length - 1];
  const sources = args.slice(0, -1);
  const urls = sources.filter((s) => isRemoteSource(s));
  const local = sources.filter((s) => !isRemoteSource(s));
  for (const s of urls) {
    if (kw === 'COPY') throw bad(ins, `source can't be a URL for COPY (${s})`);
    // git sources are BuildKit's; the classic builder fetches http(s) only.
    if (!/^https?:\/\//i.test(s)) throw contextError(ins, remoteSourceError(s, 'ADD'));
  }
  // Each URL is downloaded on every build, as the classic builder does: the
  // cache key is the hash of its bytes.
  const fetched: { download: Download; root: SourceRoot; set: SourceSet }[] = [];
  const dropFetched = () => {
    for (const f of fetched.splice(0)) {
      f.root.close();
      f.download.close();
    }
  };
  try {
    for (const url of urls) {
      const download = await downloadSource(url, deps.signal ? { signal: deps.signal } : {});
      let droot: SourceRoot;
      try {
        droot = openRoot(download.dir);
      } catch (err) {
        download.close();
        throw err;
      }
      const entry = { download, root: droot, set: { root: droot, sources: [] } as SourceSet };
      fetched.push(entry);
      entry.set = resolveSources(droot, [download.name], { instruction: 'COPY' });
    }
  } catch (err) {
    dropFetched();
    throw contextError(ins, err);
  }
  if (local.length === 0) return remotePlan(ins, kw, opts, dest, state, fetched, dropFetched);
  let root: SourceRoot;
  let release = () => undefined as void;
  if (opts.from !== undefined) {
    const src = await deps.from(opts.from);
    for (const l of src.layers) await ensureLayer(deps.store, l, 'build');
    deps.lease.add(src.layers.map((l) => l.diffId));
    const mounted = mountOnHost(deps.store.layout, src.layers.map((l) => l.diffId));
    try {
      root = openRoot(mounted.rootfs);
    } catch (err) {
      mounted.release();
      throw err;
    }
    release = () => {
      root.close();
      mounted.release();
    };
  } else {
    try {
      root = deps.ctx.open();
    } catch (err) {
      dropFetched();
      throw contextError(ins, err);
    }
  }
  try {
    const set = resolveSources(root, local, { instruction: kw });
    const hashes = [await hashSources(set), ...(await Promise.all(fetched.map((f) => hashSources(f.set))))];
    const contentHash = hashes.length === 1 ? hashes[0] : `sha256:${createHash('sha256').update(hashes.join('\n')).digest('hex')}`;
    const count = set.sources.length + fetched.length;
    const kind = count === 1 && set.sources[0].type === 'file' ? 'file' : 'dir';
    // Several sources (local and fetched): dest is a directory for each.
    const eachDest = count > 1 && !dest.endsWith('/') ? `${dest}/` : dest;
    const flagText = [opts.chown ? `--chown=${opts.chown} ` : '', opts.chmod ? `--chmod=${opts.chmod} ` : '', opts.from ? `--from=${opts.from} ` : ''].join('');
    const createdBy = `/bin/sh -c #(nop) ${kw} ${flagText}${kind}:${contentHash.replace(/^sha256:/, '')} in ${dest} `;
    const copyOpts = { ...(opts.chown ? { chown: opts.chown } : {}), ...(opts.chmod ? { chmod: opts.chmod } : {}), workdir: state.config.config.WorkingDir || '/' };
    return {
      createdBy,
      contentHash,
      apply: async (rootfs: string) => {
        try {
          if (kw === 'ADD') await addInto(rootfs, set, eachDest, copyOpts);
          else await copyInto(rootfs, set, eachDest, copyOpts);
          for (const f of fetched) await copyInto(rootfs, f.set, eachDest, copyOpts);
        } catch (err) {
          throw contextError(ins, err);
        }
      },
      close: () => {
        release();
        dropFetched();
      },
    };
  } catch (err) {
    release();
    dropFetched();
    throw contextError(ins, err);
  }
}

/** ADD of URLs only: each downloaded file copied as COPY copies a file (never unpacked, Docker's rule for URLs). */
async function remotePlan(
  ins: Instruction,
  kw: 'COPY' | 'ADD',
  opts: { chown?: string; chmod?: string },
  dest: string,
  state: StepState,
  fetched: { root: SourceRoot; set: SourceSet }[],
  drop: () => void,
): Promise<CopyPlan> {
  try {
    const hashes = await Promise.all(fetched.map((f) => hashSources(f.set)));
    const contentHash = hashes.length === 1 ? hashes[0] : `sha256:${createHash('sha256').update(hashes.join('\n')).digest('hex')}`;
    const kind = fetched.length === 1 ? 'file' : 'dir';
    const flagText = [opts.chown ? `--chown=${opts.chown} ` : '', opts.chmod ? `--chmod=${opts.chmod} ` : ''].join('');
    const createdBy = `/bin/sh -c #(nop) ${kw} ${flagText}${kind}:${contentHash.replace(/^sha256:/, '')} in ${dest} `;
    const copyOpts = { ...(opts.chown ? { chown: opts.chown } : {}), ...(opts.chmod ? { chmod: opts.chmod } : {}), workdir: state.config.config.WorkingDir || '/' };
    const eachDest = fetched.length > 1 && !dest.endsWith('/') ? `${dest}/` : dest;
    return {
      createdBy,
      contentHash,
      apply: async (rootfs: string) => {
        try {
          for (const f of fetched) await copyInto(rootfs, f.set, eachDest, copyOpts);
        } catch (err) {
          throw contextError(ins, err);
        }
      },
      close: drop,
    };
  } catch (err) {
    drop();
    throw contextError(ins, err);
  }
}
