// The seccomp profile model: the Docker/OCI JSON shape (what `docker run
// --security-opt seccomp=file.json` reads), validated into a frozen, normalized
// SeccompProfile. Errors name the field path and the value received.
import * as fs from 'node:fs';

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRACE',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

export const SECCOMP_OPS = [
  'SCMP_CMP_EQ',
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_GT',
  'SCMP_CMP_GE',
  'SCMP_CMP_MASKED_EQ',
] as const;
export type SeccompOp = (typeof SECCOMP_OPS)[number];

/** Architecture names `includes.arches`/`excludes.arches` may use (Docker's names, plus ours). */
export const PROFILE_ARCH_NAMES = [
  'amd64', 'x86_64', 'x32', 'x86', '386', 'arm', 'arm64', 'aarch64', 'loong64', 'loongarch64',
  'mips', 'mipsle', 'mipsel', 'mips64', 'mips64le', 'mipsel64', 'mips64n32', 'mipsel64n32', 'mips3l64n32',
  'ppc', 'ppc64', 'ppc64le', 'riscv64', 's390', 's390x',
] as const;

/** SCMP_ARCH_* names of `architectures` and `archMap` (the OCI spec's list). */
export const SCMP_ARCHES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
] as const;

/** A 64-bit argument value as written: a JSON number, a bigint, or a decimal/0x string. */
export type ArgValue = number | bigint | string;

export interface SeccompArgInput {
  index: number;
  value: ArgValue;
  valueTwo?: ArgValue;
  op: SeccompOp | string;
}

export interface SeccompFilterInput {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompRuleInput {
  names?: string[];
  /** Deprecated single-name form of old Docker profiles. */
  name?: string;
  action: SeccompAction | string;
  errnoRet?: number;
  args?: SeccompArgInput[] | null;
  includes?: SeccompFilterInput | null;
  excludes?: SeccompFilterInput | null;
  comment?: string;
}

export interface SeccompProfileInput {
  defaultAction: SeccompAction | string;
  defaultErrnoRet?: number;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures?: string[] | null }[] | null;
  syscalls?: SeccompRuleInput[] | null;
  flags?: string[] | null;
}

export interface SeccompArg {
  readonly index: number;
  readonly value: bigint;
  readonly valueTwo: bigint;
  readonly op: SeccompOp;
}

export interface SeccompFilter {
  /** Capability names without the CAP_ prefix (`SYS_ADMIN`). */
  readonly caps?: readonly string[];
  readonly arches?: readonly string[];
  /** [major, minor]. */
  readonly minKernel?: readonly [number, number];
}

export interface SeccompRule {
  readonly names: readonly string[];
  readonly action: SeccompAction;
  readonly errnoRet?: number;
  readonly args: readonly SeccompArg[];
  readonly includes?: SeccompFilter;
  readonly excludes?: SeccompFilter;
  readonly comment?: string;
}

export interface SeccompProfile {
  readonly defaultAction: SeccompAction;
  readonly defaultErrnoRet?: number;
  readonly architectures?: readonly string[];
  readonly syscalls: readonly SeccompRule[];
}

const U64_MAX = (1n << 64n) - 1n;
/** MAX_ERRNO: the kernel hands back at most this as -errno. */
export const MAX_ERRNO = 4095;

const parsed = new WeakSet<object>();

/** Whether a value came out of parseProfile (and so needs no validation again). */
export function isParsedProfile(p: unknown): p is SeccompProfile {
  return typeof p === 'object' && p !== null && parsed.has(p);
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expectObject(path: string, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw new TypeError(`${path}: expected an object, got ${show(v)}`);
  return v;
}

function checkKeys(path: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new RangeError(`${path}: unknown field "${k}" (valid: ${allowed.join(', ')})`);
    }
  }
}

/** undefined and null both mean "absent", as Go's JSON decoding has it. */
const absent = (v: unknown) => v === undefined || v === null;

function stringArray(path: string, v: unknown, check?: (p: string, s: string) => string): string[] {
  if (!Array.isArray(v)) throw new TypeError(`${path}: expected an array of strings, got ${show(v)}`);
  return v.map((s, i) => {
    if (typeof s !== 'string' || s === '') throw new TypeError(`${path}[${i}]: expected a non-empty string, got ${show(s)}`);
    return check ? check(`${path}[${i}]`, s) : s;
  });
}

function oneOf<T extends string>(path: string, v: unknown, valid: readonly T[], what: string): T {
  if (typeof v !== 'string') throw new TypeError(`${path}: expected a string, got ${show(v)}`);
  if (!(valid as readonly string[]).includes(v)) {
    throw new RangeError(`${path}: unknown ${what} ${show(v)} (valid: ${valid.join(', ')})`);
  }
  return v as T;
}

function errno(path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${path}: expected an integer errno, got ${show(v)}`);
  if (v < 0 || v > MAX_ERRNO) throw new RangeError(`${path}: errno must be 0..${MAX_ERRNO}, got ${v}`);
  return v;
}

/** A u64 from a JSON number, a bigint or a string ("123", "0x7E020000"). */
export function parseArgValue(path: string, v: unknown): bigint {
  let out: bigint;
  if (typeof v === 'bigint') out = v;
  else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new RangeError(`${path}: expected an integer, got ${v}`);
    if (!Number.isSafeInteger(v)) {
      throw new RangeError(`${path}: ${v} is past 2^53 and lost precision as a number; write it as a string or a bigint`);
    }
    out = BigInt(v);
  } else if (typeof v === 'string' && /^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/i.test(v.trim())) {
    out = BigInt(v.trim().toLowerCase());
  } else {
    throw new TypeError(`${path}: expected an unsigned 64-bit integer (number, bigint or string), got ${show(v)}`);
  }
  if (out < 0n || out > U64_MAX) throw new RangeError(`${path}: must be 0..2^64-1, got ${out}`);
  return out;
}

/** "4.8" -> [4, 8], as Docker's KernelVersion (major.minor, nothing else, not 0.0). */
export function parseKernelVersion(path: string, v: unknown): [number, number] {
  if (typeof v !== 'string') throw new TypeError(`${path}: expected a "<major>.<minor>" string, got ${show(v)}`);
  const m = /^(\d{1,3})\.(\d{1,3})$/.exec(v);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255 || (m[1] === '0' && Number(m[2]) === 0)) {
    throw new RangeError(`${path}: expected a kernel version "<major>.<minor>" such as "4.8", got ${show(v)}`);
  }
  return [Number(m[1]), Number(m[2])];
}

/** CAP_SYS_ADMIN, cap_sys_admin, SYS_ADMIN -> SYS_ADMIN. */
export function normalizeCap(name: string): string {
  const up = name.toUpperCase();
  return up.startsWith('CAP_') ? up.slice(4) : up;
}

function filter(path: string, v: unknown): SeccompFilter | undefined {
  if (absent(v)) return undefined;
  const o = expectObject(path, v);
  checkKeys(path, o, ['caps', 'arches', 'minKernel']);
  const out: { caps?: string[]; arches?: string[]; minKernel?: [number, number] } = {};
  if (!absent(o.caps)) {
    out.caps = stringArray(`${path}.caps`, o.caps, (p, s) => {
      if (!/^(CAP_)?[A-Z0-9_]+$/i.test(s)) throw new RangeError(`${p}: not a capability name: ${show(s)}`);
      return normalizeCap(s);
    });
  }
  if (!absent(o.arches)) {
    out.arches = stringArray(`${path}.arches`, o.arches, (p, s) => oneOf(p, s, PROFILE_ARCH_NAMES, 'architecture'));
  }
  if (!absent(o.minKernel) && o.minKernel !== '') out.minKernel = parseKernelVersion(`${path}.minKernel`, o.minKernel);
  return Object.freeze(out);
}

function arg(path: string, v: unknown): SeccompArg {
  const o = expectObject(path, v);
  checkKeys(path, o, ['index', 'value', 'valueTwo', 'op']);
  if (typeof o.index !== 'number' || !Number.isInteger(o.index)) {
    throw new TypeError(`${path}.index: expected an integer, got ${show(o.index)}`);
  }
  if (o.index < 0 || o.index > 5) throw new RangeError(`${path}.index: system calls have arguments 0..5, got ${o.index}`);
  const op = oneOf(`${path}.op`, o.op, SECCOMP_OPS, 'operator');
  const value = parseArgValue(`${path}.value`, o.value);
  const valueTwo = absent(o.valueTwo) ? 0n : parseArgValue(`${path}.valueTwo`, o.valueTwo);
  return Object.freeze({ index: o.index, value, valueTwo, op });
}

function rule(path: string, v: unknown): SeccompRule {
  const o = expectObject(path, v);
  checkKeys(path, o, ['names', 'name', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'comment']);
  let names: string[];
  if (!absent(o.name) && o.name !== '') {
    if (!absent(o.names) && (o.names as unknown[]).length !== 0) {
      throw new RangeError(`${path}: both "name" and "names" are given; use "names"`);
    }
    if (typeof o.name !== 'string') throw new TypeError(`${path}.name: expected a string, got ${show(o.name)}`);
    names = [o.name];
  } else {
    if (absent(o.names)) throw new TypeError(`${path}.names: expected an array of system call names, got ${show(o.names)}`);
    names = stringArray(`${path}.names`, o.names, (p, s) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(s)) throw new RangeError(`${p}: not a system call name: ${show(s)}`);
      return s;
    });
  }
  const action = oneOf(`${path}.action`, o.action, SECCOMP_ACTIONS, 'action');
  const out: {
    names: readonly string[]; action: SeccompAction; errnoRet?: number; args: readonly SeccompArg[];
    includes?: SeccompFilter; excludes?: SeccompFilter; comment?: string;
  } = { names: Object.freeze(names), action, args: [] };
  if (!absent(o.errnoRet)) {
    if (action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
      throw new RangeError(`${path}.errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take errnoRet, not ${action}`);
    }
    out.errnoRet = errno(`${path}.errnoRet`, o.errnoRet);
  }
  if (!absent(o.args)) {
    if (!Array.isArray(o.args)) throw new TypeError(`${path}.args: expected an array, got ${show(o.args)}`);
    out.args = Object.freeze(o.args.map((a, i) => arg(`${path}.args[${i}]`, a)));
  } else out.args = Object.freeze([]);
  const inc = filter(`${path}.includes`, o.includes);
  if (inc) out.includes = inc;
  const exc = filter(`${path}.excludes`, o.excludes);
  if (exc) out.excludes = exc;
  if (!absent(o.comment)) {
    if (typeof o.comment !== 'string') throw new TypeError(`${path}.comment: expected a string, got ${show(o.comment)}`);
    out.comment = o.comment;
  }
  return Object.freeze(out);
}

/**
 * Validates a profile (an object, or JSON text) into a frozen SeccompProfile.
 * Throws a TypeError (wrong type) or RangeError (bad value) whose message starts
 * with the field path, e.g. `seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO" (valid: ...)`.
 */
export function parseProfile(input: unknown, path = 'seccomp'): SeccompProfile {
  if (isParsedProfile(input)) return input;
  let v = input;
  if (typeof v === 'string' || Buffer.isBuffer(v)) {
    try {
      v = JSON.parse(v.toString());
    } catch (e) {
      throw new TypeError(`${path}: not valid JSON: ${(e as Error).message}`);
    }
  }
  const o = expectObject(path, v);
  checkKeys(path, o, ['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata']);
  const defaultAction = oneOf(`${path}.defaultAction`, o.defaultAction, SECCOMP_ACTIONS, 'action');
  const out: { defaultAction: SeccompAction; defaultErrnoRet?: number; architectures?: readonly string[]; syscalls: readonly SeccompRule[] } = {
    defaultAction,
    syscalls: [],
  };
  if (!absent(o.defaultErrnoRet)) {
    if (defaultAction !== 'SCMP_ACT_ERRNO' && defaultAction !== 'SCMP_ACT_TRACE') {
      throw new RangeError(`${path}.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not ${defaultAction}`);
    }
    out.defaultErrnoRet = errno(`${path}.defaultErrnoRet`, o.defaultErrnoRet);
  }
  if (!absent(o.architectures) && !absent(o.archMap) && (o.archMap as unknown[]).length && (o.architectures as unknown[]).length) {
    throw new RangeError(`${path}: both "architectures" and "archMap" are given; use one`);
  }
  const scmpArch = (p: string, s: string) => oneOf(p, s, SCMP_ARCHES, 'architecture');
  if (!absent(o.architectures)) out.architectures = Object.freeze(stringArray(`${path}.architectures`, o.architectures, scmpArch));
  if (!absent(o.archMap)) {
    if (!Array.isArray(o.archMap)) throw new TypeError(`${path}.archMap: expected an array, got ${show(o.archMap)}`);
    const all: string[] = [];
    o.archMap.forEach((m, i) => {
      const p = `${path}.archMap[${i}]`;
      const e = expectObject(p, m);
      checkKeys(p, e, ['architecture', 'subArchitectures']);
      all.push(scmpArch(`${p}.architecture`, e.architecture as string));
      if (!absent(e.subArchitectures)) all.push(...stringArray(`${p}.subArchitectures`, e.subArchitectures, scmpArch));
    });
    if (all.length) out.architectures = Object.freeze([...new Set(all)]);
  }
  if (!absent(o.flags)) {
    const flags = stringArray(`${path}.flags`, o.flags);
    if (flags.length) throw new RangeError(`${path}.flags: seccomp filter flags are not supported, got ${show(flags[0])}`);
  }
  if (!absent(o.listenerPath) && o.listenerPath !== '') {
    throw new RangeError(`${path}.listenerPath: seccomp user notification is not supported, got ${show(o.listenerPath)}`);
  }
  if (absent(o.syscalls)) {
    out.syscalls = Object.freeze([]);
  } else {
    if (!Array.isArray(o.syscalls)) throw new TypeError(`${path}.syscalls: expected an array, got ${show(o.syscalls)}`);
    out.syscalls = Object.freeze(o.syscalls.map((r, i) => rule(`${path}.syscalls[${i}]`, r)));
  }
  const frozen = Object.freeze(out);
  parsed.add(frozen);
  return frozen;
}

/** Reads and validates a Docker/OCI seccomp JSON file. Errors name the file. */
export function loadProfileFile(file: string): SeccompProfile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw Object.assign(new Error(`seccomp profile ${file}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' ')), { code: err.code, path: file });
  }
  try {
    return parseProfile(text);
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) e.message = `${file}: ${e.message}`;
    throw e;
  }
}

/**
 * The profile back in Docker's JSON shape (parseProfile reads it back to an equal
 * profile): u64 values past 2^53 as decimal strings, caps with CAP_, minKernel "a.b".
 */
export function profileToJSON(p: SeccompProfile): unknown {
  return JSON.parse(JSON.stringify(p, (k, v) => {
    if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    if (k === 'minKernel' && Array.isArray(v)) return v.join('.');
    if (k === 'caps' && Array.isArray(v)) return v.map((c: string) => `CAP_${c}`);
    return v;
  }));
}
