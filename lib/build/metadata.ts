// The instructions that change only the image config (no layer): ENV, LABEL,
// WORKDIR, USER, CMD, ENTRYPOINT, EXPOSE, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL,
// ONBUILD, MAINTAINER, as the Dockerfile reference defines them
// (https://docs.docker.com/reference/dockerfile/). Each returns the history
// line Docker's classic builder writes for it (`/bin/sh -c #(nop)  ENV A=1`).
import * as path from 'node:path';
import { BuildError } from './errors';
import type { Instruction } from './parse/dockerfile';
import { parseInstruction } from './parse/dockerfile';
import { processWord, processWords, splitRaw, WordError, type Env } from './parse/words';
import { setEnv, type BuildConfig, type HealthConfig } from './state';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export function bad(ins: Instruction, msg: string, column = ins.argsColumn): BuildError {
  return new BuildError('EINSTRUCTION', `Dockerfile:${ins.line}:${column}: ${ins.keyword}: ${msg}`, ins.line, column);
}

/** Runs word processing, turning its errors into ones naming the instruction's line and column. */
export function words<T>(ins: Instruction, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WordError) {
      const single = !ins.args.includes('\n');
      throw new BuildError('ESYNTAX', `Dockerfile:${ins.line}:${single ? ins.argsColumn + err.offset : ins.argsColumn}: ${err.message}`, ins.line, ins.argsColumn);
    }
    throw err;
  }
}

/** KEY=VALUE pairs (ENV, LABEL, ARG), or ENV's old `KEY VALUE` form. */
export function keyValues(ins: Instruction, vars: Env, escape: string, legacy: boolean): Array<[string, string | null]> {
  return words(ins, () => {
    const raw = splitRaw(ins.rest, escape);
    if (legacy && raw.length > 0 && !raw[0].includes('=')) {
      if (raw.length < 2) throw bad(ins, `${ins.keyword} ${raw[0]} needs a value (${ins.keyword} KEY VALUE or ${ins.keyword} KEY=VALUE)`);
      const value = ins.rest.slice(ins.rest.indexOf(raw[0]) + raw[0].length).trim();
      return [[raw[0], processWord(value, vars, escape)]];
    }
    return raw.map((w): [string, string | null] => {
      const eq = w.indexOf('=');
      if (eq < 0) {
        if (ins.keyword !== 'ARG') throw bad(ins, `${JSON.stringify(w)} is not KEY=VALUE`);
        return [w, null];
      }
      const key = processWord(w.slice(0, eq), vars, escape);
      if (key === '') throw bad(ins, `${JSON.stringify(w)} has an empty name`);
      return [key, processWord(w.slice(eq + 1), vars, escape)];
    });
  });
}

/** Exec form as given, or the shell form run by the stage's SHELL. */
export function command(ins: Instruction, shell: string[] | undefined): string[] {
  return ins.json ?? [...(shell ?? DEFAULT_SHELL), ins.rest];
}

const nop = (text: string) => `/bin/sh -c #(nop)  ${text}`;

function duration(ins: Instruction, name: string, value: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let seen = '';
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * unit[m[2]];
    seen += m[0];
  }
  if (seen !== value || value === '') throw bad(ins, `--${name}: time: invalid duration ${JSON.stringify(value)}`);
  return Math.round(total);
}

function healthcheck(ins: Instruction): HealthConfig {
  const rest = ins.rest;
  const [first] = rest.split(/\s+/);
  if (first.toUpperCase() === 'NONE') {
    if (rest.trim().toUpperCase() !== 'NONE' || ins.flags.length) throw bad(ins, 'HEALTHCHECK NONE takes no arguments or flags');
    return { Test: ['NONE'] };
  }
  if (first.toUpperCase() !== 'CMD') throw bad(ins, `HEALTHCHECK takes CMD or NONE, got ${JSON.stringify(first)}`);
  const cmdText = rest.slice(first.length).trim();
  if (cmdText === '') throw bad(ins, 'HEALTHCHECK CMD needs a command');
  let json: string[] | null = null;
  try {
    const v = JSON.parse(cmdText) as unknown;
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) json = v as string[];
  } catch {
    /* shell form */
  }
  const hc: HealthConfig = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', cmdText] };
  for (const f of ins.flags) {
    const v = f.value ?? '';
    if (f.name === 'interval') hc.Interval = duration(ins, f.name, v);
    else if (f.name === 'timeout') hc.Timeout = duration(ins, f.name, v);
    else if (f.name === 'start-period') hc.StartPeriod = duration(ins, f.name, v);
    else if (f.name === 'start-interval') hc.StartInterval = duration(ins, f.name, v);
    else if (f.name === 'retries') {
      if (!/^\d+$/.test(v)) throw bad(ins, `--retries must be a non-negative integer, got ${JSON.stringify(v)}`);
      hc.Retries = Number(v);
    } else throw bad(ins, `unknown flag: --${f.name} (valid: --interval, --timeout, --start-period, --start-interval, --retries)`);
  }
  return hc;
}

/**
 * Applies a metadata instruction to cfg (changed in place); vars is what ${}
 * sees (ARGs in scope, then ENV over them). Returns the history line; cmdSet
 * tracks whether this stage set CMD (ENTRYPOINT then keeps it).
 */
export function applyMetadata(ins: Instruction, cfg: BuildConfig, vars: Env, escape: string, stage: { cmdSet: boolean }): string {
  const c = cfg.config;
  const noFlags = () => {
    if (ins.flags.length) throw bad(ins, `unknown flag: --${ins.flags[0].name}`);
  };
  switch (ins.keyword) {
    case 'ENV': {
      const pairs = keyValues(ins, vars, escape, true);
      for (const [k, v] of pairs) setEnv(c, k, v ?? '');
      return nop(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
    case 'LABEL': {
      const pairs = keyValues(ins, vars, escape, false);
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of pairs) c.Labels[k] = v ?? '';
      return nop(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
    case 'MAINTAINER':
      cfg.author = ins.rest;
      return nop(`MAINTAINER ${ins.rest}`);
    case 'WORKDIR': {
      const dir = words(ins, () => processWord(ins.rest, vars, escape));
      // Relative to the previous WORKDIR (Dockerfile reference, WORKDIR).
      c.WorkingDir = path.posix.resolve(c.WorkingDir || '/', dir);
      return `/bin/sh -c #(nop) WORKDIR ${c.WorkingDir}`;
    }
    case 'USER': {
      const user = words(ins, () => processWord(ins.rest, vars, escape));
      if (user === '') throw bad(ins, 'USER needs a user name or uid');
      c.User = user;
      return nop(`USER ${user}`);
    }
    case 'CMD': {
      c.Cmd = command(ins, c.Shell);
      stage.cmdSet = true;
      return nop(`CMD ${JSON.stringify(c.Cmd)}`);
    }
    case 'ENTRYPOINT': {
      c.Entrypoint = command(ins, c.Shell);
      // "If CMD is defined from the base image, setting ENTRYPOINT will reset CMD to an empty value."
      if (!stage.cmdSet) c.Cmd = null;
      return nop(`ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`);
    }
    case 'SHELL': {
      if (!ins.json || ins.json.length === 0) throw bad(ins, 'SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]');
      c.Shell = ins.json;
      return nop(`SHELL ${JSON.stringify(ins.json)}`);
    }
    case 'EXPOSE': {
      noFlags();
      const ports = words(ins, () => processWords(ins.rest, vars, escape));
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      const added: string[] = [];
      for (const p of ports) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw bad(ins, `invalid port ${JSON.stringify(p)} (PORT[-PORT][/tcp|udp|sctp])`);
        const lo = Number(m[1]);
        const hi = m[2] ? Number(m[2]) : lo;
        if (lo < 1 || hi > 65535 || hi < lo) throw bad(ins, `invalid port range ${JSON.stringify(p)}`);
        for (let n = lo; n <= hi; n++) {
          const key = `${n}/${(m[3] ?? 'tcp').toLowerCase()}`;
          c.ExposedPorts[key] = {};
          added.push(key);
        }
      }
      return nop(`EXPOSE ${added.join(' ')}`);
    }
    case 'VOLUME': {
      const vols = ins.json ?? words(ins, () => processWords(ins.rest, vars, escape));
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of vols) {
        if (v.trim() === '') throw bad(ins, 'VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      return nop(`VOLUME ${JSON.stringify(vols)}`);
    }
    case 'STOPSIGNAL': {
      const sig = words(ins, () => processWord(ins.rest, vars, escape));
      if (!/^(SIG[A-Z0-9+-]+|[A-Z0-9]+|\d+)$/.test(sig)) throw bad(ins, `invalid signal ${JSON.stringify(sig)}`);
      c.StopSignal = sig;
      return nop(`STOPSIGNAL ${sig}`);
    }
    case 'HEALTHCHECK': {
      c.Healthcheck = healthcheck(ins);
      return nop(`HEALTHCHECK &{${JSON.stringify(c.Healthcheck.Test)}}`);
    }
    case 'ONBUILD': {
      const trigger = parseInstruction(ins.rest, ins.line, escape);
      if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(trigger.keyword)) throw bad(ins, `${trigger.keyword} isn't allowed as an ONBUILD trigger`);
      c.OnBuild = [...(c.OnBuild ?? []), ins.rest];
      return nop(`ONBUILD ${ins.rest}`);
    }
    default:
      throw bad(ins, 'not a metadata instruction');
  }
}
