// build(): a Dockerfile and a context directory to an image in the store, step
// by step as Docker's classic builder does: each instruction applied to the
// previous step's image (a config and layers), every step looked up in the cache
// first, the output written as `docker build` prints it (onProgress gets the
// same text, chunk by chunk, for a daemon to send as {"stream": ...}). Only the
// stages the target needs are built; only the target is tagged. Nothing is
// half-written: layers and cache entries appear whole or not at all, the image
// is registered last, and an abort kills a running step and unmounts its root.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdirInRoot } from '../image/config/workdir';
import { ImageError } from '../image/errors';
import { Images } from '../image/images';
import { hostPlatform, parsePlatform } from '../image/manifest';
import { familiarName, parseReference, type Reference } from '../image/reference/parse';
import type { PullProgress } from '../image/registry/pull';
import type { LayerRecord, Platform } from '../image/store/store';
import { BuildCache } from './cache';
import { commitImage } from './commit';
import { BuildError } from './errors';
import { Lease, layerStep } from './layer/step';
import { applyMetadata, bad, command, DEFAULT_SHELL, keyValues, words } from './metadata';
import { parseDockerfile, parseInstruction, type Dockerfile, type Instruction, type Stage } from './parse/dockerfile';
import { processWord } from './parse/words';
import { NAME_FILES, runStep } from './run';
import { envMap, nextConfig, scratch, short, stateOf, type BuildConfig, type StepState } from './state';
import { CopyContext, copyStep } from './copy';

export interface BuildOptions {
  /** The context directory. */
  context: string;
  /** The Dockerfile's path, relative to the context (default Dockerfile) or absolute. */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** Pull every FROM image even when it is in the store. */
  pull?: boolean;
  labels?: Record<string, string>;
  /** OS/ARCH[/VARIANT] of the FROM images and of scratch; default this machine's. */
  platform?: string;
  /** RUN's network: host (default, as the classic builder) or none. */
  network?: 'host' | 'none';
  /** The build's text output, as `docker build` prints it, chunk by chunk. */
  onProgress?: (text: string) => void;
  signal?: AbortSignal;
  /** The data root; default BULKHEAD_ROOT or /var/lib/bulkhead. */
  dataRoot?: string;
}

export interface BuildResult {
  /** The image id (sha256:...). */
  id: string;
  /** The tags written, as `docker images` shows them (app:latest). */
  tags: string[];
}

/** Build args Docker accepts without an ARG (the proxy variables). */
const PREDEFINED_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

function validate(o: BuildOptions): void {
  if (!o || typeof o !== 'object') throw new TypeError('build options must be an object');
  if (typeof o.context !== 'string' || o.context === '') throw new TypeError(`context must be a directory path, got ${JSON.stringify(o.context)}`);
  if (o.dockerfile !== undefined && (typeof o.dockerfile !== 'string' || o.dockerfile === '')) throw new TypeError(`dockerfile must be a file path, got ${JSON.stringify(o.dockerfile)}`);
  if (o.tags !== undefined && (!Array.isArray(o.tags) || !o.tags.every((t) => typeof t === 'string'))) throw new TypeError('tags must be an array of strings');
  for (const [name, rec] of [['buildArgs', o.buildArgs], ['labels', o.labels]] as const) {
    if (rec !== undefined && (rec === null || typeof rec !== 'object' || !Object.values(rec).every((v) => typeof v === 'string'))) throw new TypeError(`${name} must be an object of strings`);
  }
  if (o.target !== undefined && (typeof o.target !== 'string' || o.target === '')) throw new TypeError(`target must be a stage name, got ${JSON.stringify(o.target)}`);
  if (o.network !== undefined && o.network !== 'host' && o.network !== 'none') throw new RangeError(`network must be host or none, got ${JSON.stringify(o.network)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new TypeError('onProgress must be a function');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (o.platform !== undefined) parsePlatform(o.platform);
  for (const t of o.tags ?? []) {
    let ref: Reference;
    try {
      ref = parseReference(t);
    } catch (err) {
      throw new TypeError(`tags: ${(err as Error).message}`);
    }
    if (ref.digest) throw new TypeError(`tags must be NAME[:TAG], got ${JSON.stringify(t)} (a digest)`);
  }
}

interface StageResult {
  state: StepState;
}

/** The diff id of an empty tar (1024 zero bytes). */
export const EMPTY_LAYER = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/**
 * The state after a step that wrote layer. A step that changed nothing adds no
 * layer, only history with empty_layer, as moby's image.NewChildImage does
 * (layer.IsEmpty: the diff is the empty tar).
 */
function withLayer(state: StepState, layer: LayerRecord, createdBy: string, now: string): StepState {
  const cfg = nextConfig(state);
  cfg.created = now;
  if (layer.diffId === EMPTY_LAYER) {
    cfg.history.push({ created: now, created_by: createdBy, empty_layer: true });
    return stateOf(cfg, state.layers);
  }
  cfg.rootfs.diff_ids.push(layer.diffId);
  cfg.history.push({ created: now, created_by: createdBy });
  return stateOf(cfg, [...state.layers, layer]);
}

class Builder {
  readonly images: Images;
  readonly cache: BuildCache;
  readonly lease: Lease;
  readonly out: (text: string) => void;
  readonly platform: Platform;
  readonly results = new Map<number, StageResult>();
  readonly usedArgs = new Set<string>();
  readonly metaVars = new Map<string, string>();
  step = 0;
  total = 0;
  progressError: unknown;
  private atLineStart = true;

  constructor(
    readonly o: BuildOptions,
    readonly df: Dockerfile,
    readonly copyCtx: CopyContext,
  ) {
    this.images = new Images(o.dataRoot !== undefined ? { root: o.dataRoot } : {});
    this.cache = new BuildCache(this.images.store);
    this.lease = new Lease(this.images.store);
    this.platform = o.platform ? parsePlatform(o.platform) : hostPlatform();
    this.out = (text: string) => {
      if (text === '') return;
      this.atLineStart = text.endsWith('\n');
      try {
        o.onProgress?.(text);
      } catch (err) {
        // Thrown inside a stream's data event it would be uncaught: kept, and thrown between steps.
        this.progressError ??= err;
      }
    };
  }

  /** One line of the builder's own, on a line of its own after a command's output. */
  say(line: string): void {
    this.out(`${this.atLineStart ? '' : '\n'}${line}\n`);
  }

  buildArg(name: string): string | undefined {
    const v = this.o.buildArgs?.[name];
    if (v !== undefined) this.usedArgs.add(name);
    return v;
  }

  /** The stages the target needs (FROM a stage, COPY --from), in Dockerfile order. */
  needed(target: Stage): Stage[] {
    const byName = (n: string) => this.df.stages.find((s) => s.name === n.toLowerCase() || (/^\d+$/.test(n) && s.index === Number(n)));
    const want = new Set<number>();
    const visit = (s: Stage) => {
      if (want.has(s.index)) return;
      want.add(s.index);
      const base = processWord(s.from.rest.split(/\s+/)[0], this.metaVars, this.df.escape);
      const dep = this.df.stages.find((x) => x.name === base.toLowerCase() && x.index < s.index);
      if (dep) visit(dep);
      for (const ins of s.instructions) {
        const from = ins.flags.find((f) => f.name === 'from');
        if ((ins.keyword === 'COPY' || ins.keyword === 'ADD') && from?.value) {
          const d = byName(from.value);
          if (d && d.index < s.index) visit(d);
        }
      }
    };
    visit(target);
    return this.df.stages.filter((s) => want.has(s.index));
  }

  async run(): Promise<BuildResult> {
    const { o, df } = this;
    for (const ins of df.metaArgs) {
      for (const [k, v] of keyValues(ins, this.metaVars, df.escape, false)) {
        const given = this.buildArg(k);
        const value = given ?? (v === null ? undefined : v);
        if (value !== undefined) this.metaVars.set(k, value);
      }
    }
    let target = df.stages[df.stages.length - 1];
    if (o.target !== undefined) {
      const t = df.stages.find((s) => s.name === o.target?.toLowerCase());
      if (!t) throw new BuildError('ESTAGE', `failed to reach build target ${o.target} in Dockerfile (stages: ${df.stages.map((s) => s.name ?? String(s.index)).join(', ')})`);
      target = t;
    }
    const stages = this.needed(target);
    this.total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0);
    let final: StepState | undefined;
    for (const s of stages) {
      o.signal?.throwIfAborted();
      final = await this.stage(s, s === target);
      this.results.set(s.index, { state: final });
    }
    const state = final as StepState;
    const unused = Object.keys(o.buildArgs ?? {}).filter((k) => !this.usedArgs.has(k) && !PREDEFINED_ARGS.includes(k));
    if (unused.length) this.say(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed`);
    const tags: Reference[] = (o.tags ?? []).map((t) => parseReference(t));
    o.signal?.throwIfAborted();
    if (this.progressError !== undefined) throw this.progressError;
    await commitImage(this.images.store, state, tags, o.signal);
    this.say(`Successfully built ${short(state.id)}`);
    const names = tags.map((t) => familiarName(t));
    for (const n of names) this.say(`Successfully tagged ${n}`);
    return { id: state.id, tags: names };
  }

  private async base(s: Stage): Promise<StepState> {
    const name = words(s.from, () => processWord(s.from.rest.split(/\s+/)[0], this.metaVars, this.df.escape));
    for (const f of s.from.flags) if (f.name !== 'platform') throw bad(s.from, `unknown flag: --${f.name} (valid: --platform)`);
    if (name === '') throw bad(s.from, 'FROM names no image (an ARG that is empty?)');
    const stage = this.df.stages.find((x) => x.name === name.toLowerCase() && x.index < s.index);
    if (stage) return (this.results.get(stage.index) as StageResult).state;
    if (name.toLowerCase() === 'scratch') return scratch(this.platform);
    let record;
    try {
      record = this.o.pull ? undefined : this.images.resolve(name);
      if (!record) record = await this.images.pull(name, { platform: this.platform, onProgress: (p) => this.pullLine(p), ...(this.o.signal ? { signal: this.o.signal } : {}) });
    } catch (err) {
      if (err instanceof ImageError) throw new BuildError('ESTAGE', `Dockerfile:${s.from.line}:${s.from.argsColumn}: FROM ${name}: ${err.message}`, s.from.line, s.from.argsColumn, { cause: err });
      throw err;
    }
    const config = this.images.config(record) as unknown as BuildConfig;
    config.config ??= {};
    config.history ??= [];
    return { id: record.id, config, layers: record.layers };
  }

  /** A pull's progress as `docker pull` prints it off a terminal: a line per change of state, bytes left out. */
  private pullLine(p: PullProgress): void {
    if (p.status === 'Downloading' || p.status === 'Extracting' || p.status === 'Resolving') return;
    if (p.status === 'Digest' || p.status === 'Status') this.say(`${p.status}: ${p.detail ?? p.id}`);
    else this.say(`${p.id}: ${p.status}`);
  }

  private async stage(s: Stage, isTarget: boolean): Promise<StepState> {
    this.say(`Step ${++this.step}/${this.total} : ${s.from.text}`);
    let state = await this.base(s);
    this.say(` ---> ${short(state.id)}`);
    const args = new Map<string, string>();
    const flags = { cmdSet: false };
    const run = async (ins: Instruction) => {
      this.o.signal?.throwIfAborted();
      if (this.progressError !== undefined) throw this.progressError;
      state = await this.instruction(ins, state, args, flags);
    };
    const triggers = state.config.config.OnBuild ?? [];
    if (triggers.length) {
      this.say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}`);
      const cfg = nextConfig(state);
      cfg.config.OnBuild = null;
      state = stateOf(cfg, state.layers);
      for (const t of triggers) await run(parseInstruction(t, s.from.line, this.df.escape));
    }
    for (const ins of s.instructions) {
      this.say(`Step ${++this.step}/${this.total} : ${ins.text}`);
      await run(ins);
      this.say(` ---> ${short(state.id)}`);
    }
    if (isTarget && this.o.labels && Object.keys(this.o.labels).length) {
      const cfg = nextConfig(state);
      cfg.config.Labels = { ...(cfg.config.Labels ?? {}), ...this.o.labels };
      state = stateOf(cfg, state.layers);
    }
    return state;
  }

  /** What ${} sees: the ARGs in scope, ENV over them. */
  private vars(state: StepState, args: Map<string, string>): Map<string, string> {
    return new Map([...args, ...envMap(state.config.config.Env)]);
  }

  private async instruction(ins: Instruction, state: StepState, args: Map<string, string>, flags: { cmdSet: boolean }): Promise<StepState> {
    const escape = this.df.escape;
    const now = new Date().toISOString();
    if (ins.keyword === 'ARG') {
      const pairs = keyValues(ins, this.vars(state, args), escape, false);
      for (const [k, v] of pairs) {
        const value = this.buildArg(k) ?? v ?? this.metaVars.get(k);
        if (value !== undefined) args.set(k, value);
        else args.delete(k);
      }
      return this.cached(state, `ARG ${pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(' ')}`, [...args], undefined, async () => {
        const cfg = nextConfig(state);
        cfg.created = now;
        cfg.history.push({ created: now, created_by: `/bin/sh -c #(nop)  ARG ${pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(' ')}`, empty_layer: true });
        return stateOf(cfg, state.layers);
      });
    }
    if (ins.keyword === 'RUN') {
      for (const f of ins.flags) if (f.name !== 'network') throw bad(ins, `unknown flag: --${f.name}`);
      const argv = ins.heredoc ? [...(state.config.config.Shell ?? DEFAULT_SHELL), ins.heredoc.body] : command(ins, state.config.config.Shell);
      const inScope = [...args].filter(([k]) => !envMap(state.config.config.Env).has(k));
      const createdBy = `${inScope.length ? `|${inScope.length} ${inScope.map(([k, v]) => `${k}=${v}`).join(' ')} ` : ''}${argv.join(' ')}`;
      return this.cached(state, createdBy, [...args], undefined, async () => {
        const cid = randomBytes(32).toString('hex');
        this.say(` ---> Running in ${cid.slice(0, 12)}`);
        const network = this.runNetwork(ins);
        const layer = await layerStep(
          this.images.store,
          state,
          this.lease,
          (rootfs) => runStep({ rootfs, argv, config: state.config, args: inScope, network, onOutput: this.out, ins, ...(this.o.signal ? { signal: this.o.signal } : {}) }),
          this.o.signal,
          network === 'host' ? NAME_FILES : [],
        );
        this.say(`Removing intermediate container ${cid.slice(0, 12)}`);
        return withLayer(state, layer, createdBy, now);
      });
    }
    if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const plan = await copyStep({ ctx: this.copyCtx, store: this.images.store, lease: this.lease, from: (n) => this.stageRoot(n, ins), ...(this.o.signal ? { signal: this.o.signal } : {}) }, ins, state, this.vars(state, args), escape);
      try {
        return await this.cached(state, plan.createdBy, [], plan.contentHash, async () => {
          const layer = await layerStep(this.images.store, state, this.lease, (rootfs) => plan.apply(rootfs), this.o.signal);
          return withLayer(state, layer, plan.createdBy, now);
        });
      } finally {
        plan.close();
      }
    }
    const vars = this.vars(state, args);
    // The instruction after substitution decides the cache key: applied to a copy first.
    const probe = nextConfig(state);
    const createdBy = applyMetadata(ins, probe, vars, escape, { ...flags });
    const result = await this.cached(state, createdBy, [], undefined, async () => {
      const cid = randomBytes(32).toString('hex');
      this.say(` ---> Running in ${cid.slice(0, 12)}`);
      if (ins.keyword === 'WORKDIR') {
        // The classic builder makes the directory now, root-owned, and commits it
        // (moby dispatchWorkdir, ContainerCreateWorkdir): a layer when it was missing.
        const dir = probe.config.WorkingDir as string;
        const layer = await layerStep(this.images.store, state, this.lease, async (rootfs) => mkdirInRoot(rootfs, dir), this.o.signal);
        this.say(`Removing intermediate container ${cid.slice(0, 12)}`);
        return withLayer({ ...state, config: probe }, layer, createdBy, now);
      }
      probe.created = now;
      probe.history.push({ created: now, created_by: createdBy, empty_layer: true });
      this.say(`Removing intermediate container ${cid.slice(0, 12)}`);
      return stateOf(probe, state.layers);
    });
    if (ins.keyword === 'CMD') flags.cmdSet = true;
    return result;
  }

  private runNetwork(ins: Instruction): 'host' | 'none' {
    const f = ins.flags.find((x) => x.name === 'network');
    if (f) {
      if (f.value !== 'host' && f.value !== 'none' && f.value !== 'default') throw bad(ins, `--network must be default, host or none, got ${JSON.stringify(f.value)}`);
      if (f.value !== 'default') return f.value;
    }
    return this.o.network ?? 'host';
  }

  /** COPY --from: a stage by name or index (built before this one), or an image. */
  private async stageRoot(name: string, ins: Instruction): Promise<StepState> {
    const stage = this.df.stages.find((s) => s.name === name.toLowerCase() || (/^\d+$/.test(name) && s.index === Number(name)));
    if (stage) {
      const r = this.results.get(stage.index);
      if (!r) throw new BuildError('ESTAGE', `Dockerfile:${ins.line}:${ins.column}: COPY --from=${name}: stage ${name} is not built before this one (a stage may copy only from earlier stages)`, ins.line, ins.column);
      return r.state;
    }
    if (/^\d+$/.test(name)) throw new BuildError('ESTAGE', `Dockerfile:${ins.line}:${ins.column}: COPY --from=${name}: invalid from flag value ${name}: there is no stage ${name}`, ins.line, ins.column);
    let record;
    try {
      record = this.images.resolve(name) ?? (await this.images.pull(name, { platform: this.platform, ...(this.o.signal ? { signal: this.o.signal } : {}) }));
    } catch (err) {
      throw new BuildError('ESTAGE', `Dockerfile:${ins.line}:${ins.column}: COPY --from=${name}: no stage or image of that name (${(err as Error).message})`, ins.line, ins.column, { cause: err });
    }
    const config = this.images.config(record) as unknown as BuildConfig;
    return { id: record.id, config, layers: record.layers };
  }

  private async cached(parent: StepState, instruction: string, args: Array<[string, string]>, content: string | undefined, make: () => Promise<StepState>): Promise<StepState> {
    const key = this.cache.key({ parent: parent.id, instruction, args, ...(content !== undefined ? { content } : {}) });
    if (!this.o.noCache) {
      const hit = this.cache.get(key);
      if (hit) {
        this.lease.add(hit.layers.map((l) => l.diffId));
        this.say(' ---> Using cache');
        return hit;
      }
    }
    const state = await make();
    await this.cache.put(key, state);
    return state;
  }
}

export async function build(o: BuildOptions): Promise<BuildResult> {
  validate(o);
  const context = path.resolve(o.context);
  let st: fs.Stats;
  try {
    st = fs.statSync(context);
  } catch (err) {
    throw new BuildError('ECONTEXT', `unable to prepare context: path ${JSON.stringify(o.context)} not found`, undefined, undefined, { cause: err });
  }
  if (!st.isDirectory()) throw new BuildError('ECONTEXT', `unable to prepare context: ${JSON.stringify(o.context)} is not a directory`);
  const dfPath = path.resolve(context, o.dockerfile ?? 'Dockerfile');
  let text: string;
  try {
    text = fs.readFileSync(dfPath, 'utf8');
  } catch (err) {
    throw new BuildError('ECONTEXT', `unable to read the Dockerfile ${dfPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, undefined, { cause: err });
  }
  const df = parseDockerfile(text);
  const b = new Builder(o, df, new CopyContext(context, dfPath));
  try {
    await b.cache.prune();
    return await b.run();
  } catch (err) {
    if (o.signal?.aborted && !(err instanceof BuildError && err.code === 'EABORTED')) throw new BuildError('EABORTED', 'build cancelled', undefined, undefined, { cause: err });
    throw err;
  } finally {
    b.copyCtx.close();
    b.lease.release();
  }
}
