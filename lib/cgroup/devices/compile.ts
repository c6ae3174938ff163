// Device rules to an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, the cgroup
// v2 replacement for devices.allow (Documentation/bpf/prog_cgroup_device.rst is
// thin; include/uapi/linux/bpf.h struct bpf_cgroup_dev_ctx is the contract). The
// kernel runs the program on every open and mknod of a device node by a task of
// the group; it returns 1 to allow, 0 to refuse with EPERM. Same shape as runc's
// libcontainer/cgroups/devices/ebpf: one block per rule, falling through to the
// next on a mismatch, and a final "return 0" for default deny.
import { formatRule, normalizeAccess, type DeviceRule } from './rules';

/** bpf_cgroup_dev_ctx.access_type: (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*. */
export const DEVCG_DEV = { b: 1, c: 2 } as const;
export const DEVCG_ACC = { m: 1, r: 2, w: 4 } as const;

// Opcodes (include/uapi/linux/bpf_common.h and bpf.h).
const LDX_MEM_W = 0x61; // dst = *(u32 *)(src + off), zero-extended
const ALU32_AND_K = 0x54;
const ALU32_RSH_K = 0x74;
const ALU32_MOV_X = 0xbc;
const ALU64_MOV_K = 0xb7;
const JMP_JNE_K = 0x55;
const JMP_JNE_X = 0x5d;
const JMP_EXIT = 0x95;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/** The access bits a rule allows. */
function accessBits(access: string): number {
  let bits = 0;
  for (const c of access) bits |= DEVCG_ACC[c as keyof typeof DEVCG_ACC];
  return bits;
}

/**
 * The program for an allow list. Registers after the prologue: r2 the device type,
 * r3 the requested access, r4 the major, r5 the minor. A request is allowed when
 * some rule matches its type, numbers, and every access bit it asks for (an open
 * O_RDWR asks for r and w at once), as devcgroup's may_access() decides.
 */
export function compileDeviceRules(rules: readonly DeviceRule[]): Buffer {
  const out: Insn[] = [
    insn(LDX_MEM_W, 2, 1, 0, 0),
    insn(ALU32_AND_K, 2, 0, 0, 0xffff),
    insn(LDX_MEM_W, 3, 1, 0, 0),
    insn(ALU32_RSH_K, 3, 0, 0, 16),
    insn(LDX_MEM_W, 4, 1, 4, 0),
    insn(LDX_MEM_W, 5, 1, 8, 0),
  ];
  for (const r of rules) {
    const access = normalizeAccess(r.access);
    if (access === null) throw new RangeError(`device rule ${formatRule(r)}: access must be some of r, w, m`);
    // Each test jumps past the end of this block to the next rule; offsets are fixed up below.
    const block: Insn[] = [];
    if (r.type !== 'a') block.push(insn(JMP_JNE_K, 2, 0, 0, DEVCG_DEV[r.type]));
    if (access !== 'rwm') {
      // (requested & allowed) != requested: it asks for something this rule does not give.
      block.push(insn(ALU32_MOV_X, 1, 3, 0, 0), insn(ALU32_AND_K, 1, 0, 0, accessBits(access)), insn(JMP_JNE_X, 1, 3, 0, 0));
    }
    if (r.major !== '*') block.push(insn(JMP_JNE_K, 4, 0, 0, r.major));
    if (r.minor !== '*') block.push(insn(JMP_JNE_K, 5, 0, 0, r.minor));
    block.push(insn(ALU64_MOV_K, 0, 0, 0, 1), insn(JMP_EXIT, 0, 0, 0, 0));
    // A jump's offset counts from the instruction after it.
    block.forEach((b, i) => {
      if (b.code === JMP_JNE_K || b.code === JMP_JNE_X) b.off = block.length - (i + 1);
    });
    out.push(...block);
  }
  out.push(insn(ALU64_MOV_K, 0, 0, 0, 0), insn(JMP_EXIT, 0, 0, 0, 0));
  // struct bpf_insn: code u8, dst_reg:4 src_reg:4 (little-endian bitfields), off s16, imm s32.
  const buf = Buffer.alloc(out.length * 8);
  out.forEach((x, i) => {
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8((x.src << 4) | x.dst, i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return buf;
}

/**
 * Runs a compiled program on one request, for tests: the subset of eBPF that
 * compileDeviceRules emits, nothing more (anything else throws).
 */
export function evaluateDeviceProgram(prog: Buffer, req: { type: 'b' | 'c'; access: string; major: number; minor: number }): 0 | 1 {
  const ctx = [((accessBits(req.access) << 16) | DEVCG_DEV[req.type]) >>> 0, req.major >>> 0, req.minor >>> 0];
  const reg = new Array<number>(11).fill(0);
  let pc = 0;
  for (let steps = 0; steps < 100_000; steps++) {
    if (pc < 0 || pc * 8 >= prog.length) throw new Error(`device program: pc ${pc} out of range`);
    const code = prog.readUInt8(pc * 8);
    const regs = prog.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case LDX_MEM_W:
        if (src !== 1 || off % 4 !== 0 || off / 4 > 2) throw new Error(`device program: load at ${off}`);
        reg[dst] = ctx[off / 4];
        break;
      case ALU32_AND_K: reg[dst] = (reg[dst] & imm) >>> 0; break;
      case ALU32_RSH_K: reg[dst] = reg[dst] >>> imm; break;
      case ALU32_MOV_X: reg[dst] = reg[src] >>> 0; break;
      case ALU64_MOV_K: reg[dst] = imm; break;
      case JMP_JNE_K: if (reg[dst] !== imm >>> 0) pc += off; break;
      case JMP_JNE_X: if (reg[dst] !== reg[src]) pc += off; break;
      case JMP_EXIT: return reg[0] === 1 ? 1 : 0;
      default: throw new Error(`device program: opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('device program: no exit');
}
