// Compiles a seccomp profile into a classic BPF program for
// seccomp(SECCOMP_SET_MODE_FILTER), for one architecture, one capability set
// and one kernel version (Docker resolves includes/excludes the same way).
//
// Layout:
//   ld arch; jeq AUDIT_ARCH_<arch> ? next : ret KILL_PROCESS
//   ld nr; (x86_64) jge 0x40000000 ? ret <x32 action> : next
//   a binary search over syscall-number ranges (adjacent numbers with the same
//   outcome merge into one range), each leaf a `ret` or a `ja` (32-bit offset)
//   to the block of a syscall with argument rules;
//   those blocks: the syscall's rules in profile order, first match wins, each
//   rule's comparisons ANDed, falling through to the default action.
// Every conditional jump goes at most one rule block ahead, or over a subtree
// that was measured to fit, so nothing needs a conditional jump longer than 255.
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import {
  andK, argHigh, argLow, assemble, BPF_MAXINSNS, insnCount, Item, ja, jeq, jge, jgt, label, ld,
  OFFSET_ARCH, OFFSET_NR, ret, SECCOMP_RET, verifyProgram,
} from './bpf';
import { normalizeCap, parseProfile, profileToJSON, SeccompAction, SeccompArg, SeccompProfile, SeccompProfileInput, SeccompRule } from './profile';
import { AUDIT_ARCH, SeccompArch, syscallNumber } from './syscalls';

export { describeReturn, disassemble, evaluate, SECCOMP_RET, verifyProgram } from './bpf';
export type { SeccompData } from './bpf';

export interface CompileOptions {
  arch: SeccompArch;
  /** Capabilities the process will hold, without or with the CAP_ prefix (`SYS_ADMIN`); `includes.caps`/`excludes.caps` match these. */
  caps?: readonly string[];
  /** [major, minor] for `minKernel` rules; the running kernel by default. */
  kernel?: readonly [number, number];
}

/** x32 system calls on x86_64 carry this bit in nr. */
export const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;

/** Docker's architecture names that `includes.arches`/`excludes.arches` use for ours. */
const ARCH_ALIASES: Record<SeccompArch, readonly string[]> = {
  x86_64: ['amd64', 'x86_64'],
  aarch64: ['arm64', 'aarch64'],
};

/** The SECCOMP_RET_* value of an action; errnoRet defaults to EPERM as in runc. */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
  }
}

/** The running kernel's [major, minor], from uname's release. */
export function hostKernel(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(os.release());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** This process's architecture as the compiler names it. */
export function hostArch(): SeccompArch {
  if (process.arch === 'x64') return 'x86_64';
  if (process.arch === 'arm64') return 'aarch64';
  throw new RangeError(`seccomp: architecture ${process.arch} is not supported (x64 and arm64 are)`);
}

const kernelAtLeast = (k: readonly [number, number], min: readonly [number, number]) => k[0] > min[0] || (k[0] === min[0] && k[1] >= min[1]);

/** Whether a rule is in force for this arch, cap set and kernel (Docker's setupSeccomp). */
export function ruleApplies(rule: SeccompRule, arch: SeccompArch, caps: ReadonlySet<string>, kernel: readonly [number, number]): boolean {
  const aliases = ARCH_ALIASES[arch];
  const ex = rule.excludes;
  if (ex) {
    if (ex.arches?.some((a) => aliases.includes(a))) return false;
    if (ex.caps?.some((c) => caps.has(c))) return false;
    if (ex.minKernel && kernelAtLeast(kernel, ex.minKernel)) return false;
  }
  const inc = rule.includes;
  if (inc) {
    if (inc.arches && inc.arches.length && !inc.arches.some((a) => aliases.includes(a))) return false;
    if (inc.caps && !inc.caps.every((c) => caps.has(c))) return false;
    if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  }
  return true;
}

/** One way for a syscall to match: all conditions true -> return `ret`. */
interface Alternative {
  conds: readonly SeccompArg[];
  ret: number;
}

export interface ResolvedFilter {
  arch: SeccompArch;
  defaultRet: number;
  /** Returned for x32 system calls on x86_64. */
  x32Ret: number;
  /** Per syscall number, its alternatives in order; ends at the first unconditional one. */
  syscalls: Map<number, Alternative[]>;
}

/**
 * Applies includes/excludes and maps names to numbers: the profile as it stands
 * for one process. Names the architecture lacks are skipped (as libseccomp and
 * runc do), and so are rules whose action is the default action (runc skips them).
 * A rule naming one argument index twice stands for one rule per comparison
 * (runc's reading of such profiles); otherwise its comparisons are ANDed.
 */
export function resolve(profile: SeccompProfile, opts: CompileOptions): ResolvedFilter {
  const caps = new Set((opts.caps ?? []).map(normalizeCap));
  const kernel = opts.kernel ?? hostKernel();
  const defaultRet = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const syscalls = new Map<number, Alternative[]>();
  for (const rule of profile.syscalls) {
    if (!ruleApplies(rule, opts.arch, caps, kernel)) continue;
    const r = actionValue(rule.action, rule.errnoRet);
    if (r === defaultRet) continue;
    const indexes = rule.args.map((a) => a.index);
    const alts: Alternative[] = new Set(indexes).size === indexes.length
      ? [{ conds: rule.args, ret: r }]
      : rule.args.map((a) => ({ conds: [a], ret: r }));
    for (const name of rule.names) {
      const nr = syscallNumber(opts.arch, name);
      if (nr === undefined) continue;
      let list = syscalls.get(nr);
      if (!list) syscalls.set(nr, (list = []));
      if (list.length && list[list.length - 1].conds.length === 0) continue; // shadowed by an unconditional rule
      list.push(...alts);
    }
  }
  // What x32 calls get: the default action when it refuses, else (a permissive
  // profile) the kill a foreign architecture gets, so that x32 cannot slip past a deny list.
  const refuses = profile.defaultAction !== 'SCMP_ACT_ALLOW' && profile.defaultAction !== 'SCMP_ACT_LOG' && profile.defaultAction !== 'SCMP_ACT_TRACE';
  return { arch: opts.arch, defaultRet, x32Ret: refuses ? defaultRet : SECCOMP_RET.KILL_PROCESS, syscalls };
}

const hi32 = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
const lo32 = (v: bigint) => Number(v & 0xffffffffn);

/**
 * Code for one 64-bit comparison: falls through when it holds, jumps to `fail`
 * when not. The high halves decide first; the low halves only when those are equal.
 */
function comparison(c: SeccompArg, fail: string, uid: string): Item[] {
  const H = argHigh(c.index);
  const L = argLow(c.index);
  const pass = `${uid}.pass`;
  const vh = hi32(c.value);
  const vl = lo32(c.value);
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      return [ld(H), jeq(vh, 0, fail), ld(L), jeq(vl, 0, fail)];
    case 'SCMP_CMP_NE':
      return [ld(H), jeq(vh, 0, pass), ld(L), jeq(vl, fail, 0), label(pass)];
    case 'SCMP_CMP_GT':
      return [ld(H), jgt(vh, pass, 0), jeq(vh, 0, fail), ld(L), jgt(vl, 0, fail), label(pass)];
    case 'SCMP_CMP_GE':
      return [ld(H), jgt(vh, pass, 0), jeq(vh, 0, fail), ld(L), jge(vl, 0, fail), label(pass)];
    case 'SCMP_CMP_LT':
      return [ld(H), jgt(vh, fail, 0), jeq(vh, 0, pass), ld(L), jge(vl, fail, 0), label(pass)];
    case 'SCMP_CMP_LE':
      return [ld(H), jgt(vh, fail, 0), jeq(vh, 0, pass), ld(L), jgt(vl, fail, 0), label(pass)];
    case 'SCMP_CMP_MASKED_EQ': {
      // value is the mask, valueTwo the value the masked argument must equal.
      const mh = hi32(c.value);
      const ml = lo32(c.value);
      const th = hi32(c.valueTwo);
      const tl = lo32(c.valueTwo);
      const half = (off: number, mask: number, want: number): Item[] => {
        if ((want & ~mask) !== 0) return [ja(fail)]; // a bit outside the mask can never match
        if (mask === 0) return []; // 0 == 0
        return mask === 0xffffffff ? [ld(off), jeq(want, 0, fail)] : [ld(off), andK(mask), jeq(want, 0, fail)];
      };
      return [...half(H, mh, th), ...half(L, ml, tl)];
    }
  }
}

/** A syscall's block: its alternatives in order, then the default action. */
function block(alts: readonly Alternative[], defaultRet: number, uid: string): Item[] {
  const out: Item[] = [];
  alts.forEach((alt, i) => {
    const fail = `${uid}.${i}.fail`;
    alt.conds.forEach((c, j) => out.push(...comparison(c, fail, `${uid}.${i}.${j}`)));
    out.push(ret(alt.ret), label(fail));
  });
  const last = alts[alts.length - 1];
  if (!last || last.conds.length) out.push(ret(defaultRet));
  else out.pop(); // the last alternative is unconditional: nothing falls through it
  return out;
}

interface Range {
  lo: number;
  hi: number;
  key: string;
}

/** Builds the program for a resolved filter. */
export function generate(f: ResolvedFilter): Buffer {
  const keyOf = (alts: readonly Alternative[]) =>
    alts.length && alts[0].conds.length === 0 ? `ret:${alts[0].ret}` : `blk:${JSON.stringify(alts, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
  const defaultKey = `ret:${f.defaultRet}`;
  const blocks = new Map<string, { name: string; alts: readonly Alternative[] }>();
  const keyed = [...f.syscalls.entries()].map(([nr, alts]) => {
    const key = keyOf(alts);
    if (key.startsWith('blk:') && !blocks.has(key)) blocks.set(key, { name: `b${blocks.size}`, alts });
    return { nr, key };
  }).sort((a, b) => a.nr - b.nr);

  // Ranges over [0, 2^32): runs of numbers with the same outcome, gaps default.
  const ranges: Range[] = [];
  const push = (lo: number, hi: number, key: string) => {
    const prev = ranges[ranges.length - 1];
    if (prev && prev.key === key && prev.hi + 1 === lo) prev.hi = hi;
    else ranges.push({ lo, hi, key });
  };
  let next = 0;
  for (const { nr, key } of keyed) {
    if (nr > next) push(next, nr - 1, defaultKey);
    push(nr, nr, key);
    next = nr + 1;
  }
  if (next <= 0xffffffff) push(next, 0xffffffff, defaultKey);

  const leaf = (key: string): Item[] => (key.startsWith('ret:') ? [ret(Number(key.slice(4)))] : [ja(blocks.get(key)!.name)]);
  // A balanced search: `jge first-of-right` splits; the right half is reached
  // directly when the left half is short enough, else through a ja.
  let split = 0;
  const tree = (lo: number, hi: number): Item[] => {
    if (lo === hi) return leaf(ranges[lo].key);
    const mid = (lo + hi + 1) >> 1;
    const left = tree(lo, mid - 1);
    const right = tree(mid, hi);
    const n = insnCount(left);
    if (n <= 255) return [jge(ranges[mid].lo, n, 0), ...left, ...right];
    const r = `t${split++}`;
    return [jge(ranges[mid].lo, 0, 1), ja(r), ...left, label(r), ...right];
  };

  const items: Item[] = [
    ld(OFFSET_ARCH),
    jeq(AUDIT_ARCH[f.arch], 1, 0),
    ret(SECCOMP_RET.KILL_PROCESS),
    ld(OFFSET_NR),
  ];
  if (f.arch === 'x86_64') items.push(jge(X32_SYSCALL_BIT, 0, 1), ret(f.x32Ret));
  items.push(...tree(0, ranges.length - 1));
  for (const { name, alts } of blocks.values()) items.push(label(name), ...block(alts, f.defaultRet, name));

  const prog = assemble(items);
  if (prog.length / 8 > BPF_MAXINSNS) {
    throw new RangeError(`seccomp: the filter needs ${prog.length / 8} instructions, more than the kernel's ${BPF_MAXINSNS}`);
  }
  verifyProgram(prog);
  return prog;
}

function checkOptions(opts: CompileOptions): void {
  if (!opts || (opts.arch !== 'x86_64' && opts.arch !== 'aarch64')) {
    throw new RangeError(`seccomp arch: expected "x86_64" or "aarch64", got ${JSON.stringify(opts?.arch)}`);
  }
  if (opts.caps !== undefined && (!Array.isArray(opts.caps) || opts.caps.some((c) => typeof c !== 'string'))) {
    throw new TypeError('seccomp caps: expected an array of capability names');
  }
  const k = opts.kernel;
  if (k !== undefined && (!Array.isArray(k) || k.length !== 2 || !k.every((n) => Number.isInteger(n) && n >= 0))) {
    throw new TypeError(`seccomp kernel: expected [major, minor], got ${JSON.stringify(k)}`);
  }
}

/**
 * The BPF program (struct sock_filter[], 8 bytes each, little-endian) for a
 * profile, an architecture, the capabilities the process keeps, and a kernel.
 * Pass it to seccomp(SECCOMP_SET_MODE_FILTER) as { len: buf.length / 8, filter: buf }.
 */
export function compile(profile: SeccompProfile | SeccompProfileInput | string, opts: CompileOptions): Buffer {
  checkOptions(opts);
  return generate(resolve(parseProfile(profile), opts));
}

// ---------------------------------------------------------------- cache

let byObject = new WeakMap<object, Map<string, Buffer>>();
const byHash = new Map<string, Buffer>();
const HASH_CACHE_MAX = 64;

function optionsKey(opts: CompileOptions): string {
  const caps = [...new Set((opts.caps ?? []).map(normalizeCap))].sort();
  const kernel = opts.kernel ?? hostKernel();
  return `${opts.arch}|${caps.join(',')}|${kernel[0]}.${kernel[1]}`;
}

/**
 * compile() memoized on the profile object (then on a hash of its JSON, for an
 * equal profile built anew), the architecture, the sorted capabilities and the
 * kernel. The same Buffer comes back each time: do not write into it. Profiles
 * are treated as immutable (parseProfile's and DEFAULT_PROFILE are frozen).
 */
export function compileCached(profile: SeccompProfile | SeccompProfileInput, opts: CompileOptions): Buffer {
  checkOptions(opts);
  const okey = optionsKey(opts);
  let perProfile = byObject.get(profile);
  const hit = perProfile?.get(okey);
  if (hit) return hit;
  const parsed = parseProfile(profile);
  const hkey = `${createHash('sha256').update(JSON.stringify(profileToJSON(parsed))).digest('hex')}|${okey}`;
  let prog = byHash.get(hkey);
  if (prog) {
    byHash.delete(hkey); // refresh its place in the LRU order
  } else {
    prog = generate(resolve(parsed, opts));
  }
  byHash.set(hkey, prog);
  if (byHash.size > HASH_CACHE_MAX) byHash.delete(byHash.keys().next().value as string);
  if (!perProfile) byObject.set(profile, (perProfile = new Map()));
  perProfile.set(okey, prog);
  return prog;
}

/** Empties the compile cache (tests). */
export function clearCompileCache(): void {
  byObject = new WeakMap();
  byHash.clear();
}
