// Classic BPF as seccomp runs it: opcodes, a small assembler with labels, a
// checker with the kernel's rules (seccomp_check_filter), a disassembler and an
// interpreter over struct seccomp_data, for tests and for inspecting programs.
//
// struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }  (8 bytes, host order;
// both supported architectures are little-endian)
// struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
import { AUDIT_ARCH, SeccompArch } from './syscalls';

// Instruction classes, sizes, modes, operations (<linux/bpf_common.h>).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
export const BPF_W = 0x00;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;
export const BPF_AND = 0x50;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

/** BPF_MAXINSNS: the kernel refuses longer filters. */
export const BPF_MAXINSNS = 4096;
/** sizeof(struct seccomp_data). */
export const SECCOMP_DATA_SIZE = 64;
export const OFFSET_NR = 0;
export const OFFSET_ARCH = 4;
export const OFFSET_IP = 8;
/** Offset of the low 32 bits of args[i]; the high half is 4 bytes further on. */
export const argLow = (i: number) => 16 + 8 * i;
export const argHigh = (i: number) => 16 + 8 * i + 4;

/** SECCOMP_RET_* (<linux/seccomp.h>). */
export const SECCOMP_RET = Object.freeze({
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
});
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

// ---------------------------------------------------------------- assembler

/** A jump target: a relative count of instructions, or a label placed with `label()`. */
export type Target = number | string;

export interface Insn {
  code: number;
  /** A number, or for BPF_JA a label. */
  k: number | string;
  jt?: Target;
  jf?: Target;
}

export type Item = Insn | { label: string };

const isLabel = (i: Item): i is { label: string } => 'label' in i;

export const ld = (offset: number): Insn => ({ code: BPF_LD | BPF_W | BPF_ABS, k: offset });
export const ret = (value: number): Insn => ({ code: BPF_RET | BPF_K, k: value >>> 0 });
export const andK = (mask: number): Insn => ({ code: BPF_ALU | BPF_AND | BPF_K, k: mask >>> 0 });
export const ja = (target: Target): Insn => ({ code: BPF_JMP | BPF_JA, k: target });
export const jeq = (k: number, jt: Target = 0, jf: Target = 0): Insn => ({ code: BPF_JMP | BPF_JEQ | BPF_K, k: k >>> 0, jt, jf });
export const jgt = (k: number, jt: Target = 0, jf: Target = 0): Insn => ({ code: BPF_JMP | BPF_JGT | BPF_K, k: k >>> 0, jt, jf });
export const jge = (k: number, jt: Target = 0, jf: Target = 0): Insn => ({ code: BPF_JMP | BPF_JGE | BPF_K, k: k >>> 0, jt, jf });
export const label = (name: string) => ({ label: name });

/** Number of real instructions in a list (labels take no room). */
export const insnCount = (items: readonly Item[]) => items.reduce((n, i) => n + (isLabel(i) ? 0 : 1), 0);

/**
 * Resolves labels into relative offsets and encodes the program. Conditional
 * jumps must land at most 255 instructions ahead; BPF_JA takes a 32-bit offset.
 */
export function assemble(items: readonly Item[]): Buffer {
  const at = new Map<string, number>();
  let pc = 0;
  for (const it of items) {
    if (isLabel(it)) {
      if (at.has(it.label)) throw new Error(`bpf: label ${it.label} placed twice`);
      at.set(it.label, pc);
    } else pc++;
  }
  const insns = items.filter((i): i is Insn => !isLabel(i));
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((ins, i) => {
    const rel = (t: Target | undefined, what: string, max: number): number => {
      if (t === undefined) return 0;
      if (typeof t === 'number') return t;
      const dest = at.get(t);
      if (dest === undefined) throw new Error(`bpf: unknown label ${t}`);
      const off = dest - i - 1;
      if (off < 0 || off > max) throw new Error(`bpf: ${what} at ${i} to ${t} is ${off} instructions away (max ${max})`);
      return off;
    };
    const isJa = ins.code === (BPF_JMP | BPF_JA);
    const k = isJa ? rel(ins.k, 'ja', 0xffffffff) : (ins.k as number);
    const jt = rel(ins.jt, 'jt', 255);
    const jf = rel(ins.jf, 'jf', 255);
    if (jt > 255 || jf > 255 || jt < 0 || jf < 0) throw new Error(`bpf: jump out of range at ${i}`);
    buf.writeUInt16LE(ins.code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}

// ---------------------------------------------------------------- decoding

export interface Decoded {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export function decode(prog: Buffer): Decoded[] {
  if (prog.length % 8 !== 0) throw new RangeError(`bpf: program length ${prog.length} is not a multiple of 8`);
  const out: Decoded[] = [];
  for (let o = 0; o < prog.length; o += 8) {
    out.push({ code: prog.readUInt16LE(o), jt: prog.readUInt8(o + 2), jf: prog.readUInt8(o + 3), k: prog.readUInt32LE(o + 4) });
  }
  return out;
}

const ALLOWED_CODES = new Set<number>([
  BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM,
  BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX, BPF_MISC | 0x00, BPF_MISC | 0x80,
  BPF_RET | BPF_K, BPF_RET | BPF_A,
  ...[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0].flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | 0x80,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

/**
 * Checks a program as the kernel does before accepting it (bpf_check_classic and
 * seccomp_check_filter): size, known opcodes, seccomp_data loads that are aligned
 * and in bounds, jumps that stay inside, memory slots, and a final return.
 * Throws a RangeError naming the instruction.
 */
export function verifyProgram(prog: Buffer): void {
  const insns = decode(prog);
  if (insns.length === 0 || insns.length > BPF_MAXINSNS) {
    throw new RangeError(`bpf: ${insns.length} instructions (must be 1..${BPF_MAXINSNS})`);
  }
  insns.forEach((ins, pc) => {
    if (!ALLOWED_CODES.has(ins.code)) throw new RangeError(`bpf: instruction ${pc}: opcode 0x${ins.code.toString(16)} not allowed in seccomp`);
    if (ins.code === (BPF_LD | BPF_W | BPF_ABS) && (ins.k % 4 !== 0 || ins.k >= SECCOMP_DATA_SIZE)) {
      throw new RangeError(`bpf: instruction ${pc}: load at offset ${ins.k} outside struct seccomp_data`);
    }
    if ((ins.code === (BPF_LD | BPF_MEM) || ins.code === (BPF_LDX | BPF_MEM) || ins.code === BPF_ST || ins.code === BPF_STX) && ins.k >= 16) {
      throw new RangeError(`bpf: instruction ${pc}: memory slot ${ins.k} (0..15)`);
    }
    if ((ins.code & 0x07) === BPF_ALU && (ins.code & 0xf0) >= 0x30 && (ins.code & 0x08) === BPF_K) {
      const op = ins.code & 0xf0;
      if ((op === 0x30 || op === 0x90) && ins.k === 0) throw new RangeError(`bpf: instruction ${pc}: division by zero`);
      if ((op === 0x60 || op === 0x70) && ins.k >= 32) throw new RangeError(`bpf: instruction ${pc}: shift by ${ins.k}`);
    }
    if ((ins.code & 0x07) === BPF_JMP) {
      if ((ins.code & 0xf0) === BPF_JA) {
        if (pc + 1 + ins.k >= insns.length) throw new RangeError(`bpf: instruction ${pc}: ja ${ins.k} jumps past the end`);
      } else if (pc + 1 + Math.max(ins.jt, ins.jf) >= insns.length) {
        throw new RangeError(`bpf: instruction ${pc}: jump past the end`);
      }
    }
  });
  const last = insns[insns.length - 1];
  if ((last.code & 0x07) !== BPF_RET) throw new RangeError('bpf: the program does not end with a return');
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** One line per instruction, in the style of `seccomp-tools disasm`. */
export function disassemble(prog: Buffer): string[] {
  const names: Record<number, string> = { [BPF_JEQ]: 'jeq', [BPF_JGT]: 'jgt', [BPF_JGE]: 'jge', [BPF_JSET]: 'jset' };
  const alu: Record<number, string> = { 0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh', 0x80: 'neg', 0x90: 'mod', 0xa0: 'xor' };
  return decode(prog).map((ins, pc) => {
    const p = String(pc).padStart(4, '0');
    const cls = ins.code & 0x07;
    let text: string;
    if (ins.code === (BPF_LD | BPF_W | BPF_ABS)) text = `ld [${ins.k}]`;
    else if (cls === BPF_LD || cls === BPF_LDX) text = `${cls === BPF_LD ? 'ld' : 'ldx'} ${(ins.code & 0xe0) === BPF_MEM ? `M[${ins.k}]` : (ins.code & 0xe0) === BPF_LEN ? 'len' : `#${hex(ins.k)}`}`;
    else if (cls === BPF_ST || cls === BPF_STX) text = `${cls === BPF_ST ? 'st' : 'stx'} M[${ins.k}]`;
    else if (cls === BPF_ALU) text = `${alu[ins.code & 0xf0] ?? '?'} ${(ins.code & BPF_X) ? 'x' : `#${hex(ins.k)}`}`;
    else if (cls === BPF_JMP && (ins.code & 0xf0) === BPF_JA) text = `ja ${pc + 1 + ins.k}`;
    else if (cls === BPF_JMP) text = `${names[ins.code & 0xf0] ?? '?'} ${(ins.code & BPF_X) ? 'x' : `#${hex(ins.k)}`} jt ${pc + 1 + ins.jt} jf ${pc + 1 + ins.jf}`;
    else if (cls === BPF_RET) text = (ins.code & BPF_A) ? 'ret a' : `ret ${describeReturn(ins.k)}`;
    else text = (ins.code & 0x80) ? 'txa' : 'tax';
    return `${p}: ${text}`;
  });
}

/** SECCOMP_RET_ERRNO|1 -> "ERRNO(1)", 0x7fff0000 -> "ALLOW". */
export function describeReturn(value: number): string {
  const action = (value & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = value & SECCOMP_RET_DATA;
  for (const [name, v] of Object.entries(SECCOMP_RET)) {
    if (v === action) return name === 'ERRNO' || name === 'TRACE' ? `${name}(${data})` : name;
  }
  return hex(value);
}

// ---------------------------------------------------------------- interpreter

export interface SeccompData {
  /** An architecture name, or a raw AUDIT_ARCH_* value (to test foreign ones). */
  arch: SeccompArch | number;
  nr: number;
  args?: readonly (number | bigint)[];
  instructionPointer?: number | bigint;
}

const U64 = (1n << 64n) - 1n;
const u64 = (v: number | bigint) => BigInt.asUintN(64, BigInt(v)) & U64;

/** struct seccomp_data in the layout the kernel hands to the filter. */
export function seccompData(d: SeccompData): Buffer {
  const b = Buffer.alloc(SECCOMP_DATA_SIZE);
  b.writeUInt32LE(d.nr >>> 0, OFFSET_NR);
  b.writeUInt32LE((typeof d.arch === 'number' ? d.arch : AUDIT_ARCH[d.arch]) >>> 0, OFFSET_ARCH);
  b.writeBigUInt64LE(u64(d.instructionPointer ?? 0), OFFSET_IP);
  (d.args ?? []).forEach((a, i) => {
    if (i > 5) throw new RangeError('seccomp_data has 6 arguments');
    b.writeBigUInt64LE(u64(a), argLow(i));
  });
  return b;
}

/**
 * Runs a program over one system call as the kernel would and returns the
 * 32-bit value it returns (compare with SECCOMP_RET.*; describeReturn() names it).
 */
export function evaluate(prog: Buffer, d: SeccompData): number {
  const insns = decode(prog);
  const data = seccompData(d);
  const mem = new Uint32Array(16);
  let A = 0;
  let X = 0;
  for (let pc = 0, steps = 0; pc < insns.length; pc++, steps++) {
    if (steps > BPF_MAXINSNS) throw new Error('bpf: too many steps');
    const { code, jt, jf, k } = insns[pc];
    const cls = code & 0x07;
    switch (cls) {
      case BPF_LD:
      case BPF_LDX: {
        const mode = code & 0xe0;
        let v: number;
        if (mode === BPF_ABS && cls === BPF_LD) {
          if (k % 4 !== 0 || k + 4 > SECCOMP_DATA_SIZE) throw new RangeError(`bpf: instruction ${pc}: load at offset ${k}`);
          v = data.readUInt32LE(k);
        } else if (mode === BPF_IMM) v = k;
        else if (mode === BPF_MEM) v = mem[k];
        else if (mode === BPF_LEN) v = SECCOMP_DATA_SIZE;
        else throw new RangeError(`bpf: instruction ${pc}: load mode 0x${mode.toString(16)}`);
        if (cls === BPF_LD) A = v >>> 0;
        else X = v >>> 0;
        break;
      }
      case BPF_ST:
        mem[k] = A;
        break;
      case BPF_STX:
        mem[k] = X;
        break;
      case BPF_ALU: {
        const src = code & BPF_X ? X : k;
        switch (code & 0xf0) {
          case 0x00: A = (A + src) >>> 0; break;
          case 0x10: A = (A - src) >>> 0; break;
          case 0x20: A = Math.imul(A, src) >>> 0; break;
          case 0x30: if (src === 0) return 0; A = Math.floor(A / src) >>> 0; break;
          case 0x40: A = (A | src) >>> 0; break;
          case 0x50: A = (A & src) >>> 0; break;
          case 0x60: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case 0x70: A = src >= 32 ? 0 : A >>> src; break;
          case 0x80: A = -A >>> 0; break;
          case 0x90: if (src === 0) return 0; A = (A % src) >>> 0; break;
          case 0xa0: A = (A ^ src) >>> 0; break;
          default: throw new RangeError(`bpf: instruction ${pc}: alu 0x${code.toString(16)}`);
        }
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          pc += k;
          break;
        }
        const src = (code & BPF_X ? X : k) >>> 0;
        let cond: boolean;
        if (op === BPF_JEQ) cond = A === src;
        else if (op === BPF_JGT) cond = A > src;
        else if (op === BPF_JGE) cond = A >= src;
        else if (op === BPF_JSET) cond = (A & src) !== 0;
        else throw new RangeError(`bpf: instruction ${pc}: jump 0x${code.toString(16)}`);
        pc += cond ? jt : jf;
        break;
      }
      case BPF_RET:
        return (code & BPF_A ? A : k) >>> 0;
      case BPF_MISC:
        if (code & 0x80) A = X;
        else X = A;
        break;
    }
  }
  throw new RangeError('bpf: ran off the end of the program');
}
