// Walks the machine code reachable from the child's entry points in a built
// addon (objdump -d) and lists every call that could leave the addon: a call
// or jump through the PLT, through memory (the GOT), or through a register. In
// a child that shares the parent's memory (CLONE_VM) any of these may run the
// dynamic linker's lazy binding or the C library on node's state.
import { execFileSync } from 'node:child_process';

export const CHILD_ENTRIES = ['_ZN8bulkhead9ChildMainEPv', 'bulkhead_clone3_run'];

interface Fn {
  lines: string[];
}

function disassemble(file: string): Map<string, Fn> {
  const out = execFileSync('objdump', ['-d', '--no-show-raw-insn', '-w', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const fns = new Map<string, Fn>();
  let cur: Fn | undefined;
  for (const line of out.split('\n')) {
    const head = /^[0-9a-f]+ <(.+)>:$/.exec(line);
    if (head) {
      cur = { lines: [] };
      fns.set(head[1], cur);
    } else if (cur && line.trim()) {
      cur.lines.push(line);
    }
  }
  return fns;
}

/** Every external or indirect call reachable from the entries, as "caller: instruction". */
export function externalCalls(file: string, entries = CHILD_ENTRIES): { bad: string[]; reached: string[] } {
  const fns = disassemble(file);
  const seen = new Set<string>();
  const bad: string[] = [];
  const todo = [...entries];
  for (const e of entries) if (!fns.has(e)) bad.push(`entry ${e} not found in ${file}`);
  while (todo.length) {
    const name = todo.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const fn = fns.get(name);
    if (!fn) {
      bad.push(`${name}: no code in the addon`);
      continue;
    }
    for (const line of fn.lines) {
      const m = /\s(call|jmp|j[a-z]+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const operand = m[2];
      if (operand.startsWith('*')) {
        // Indirect: only the trampoline calls through a register, into ChildMain.
        if (!(name === 'bulkhead_clone3_run' && /^\*%r\w+$/.test(operand.trim()))) bad.push(`${name}: ${line.trim()}`);
        continue;
      }
      const target = /<([^>+]+)(\+0x[0-9a-f]+)?>/.exec(operand);
      if (!target) continue;
      if (target[1].includes('@')) {
        bad.push(`${name}: ${line.trim()}`);
        continue;
      }
      if (target[1] !== name) todo.push(target[1]);
    }
  }
  return { bad, reached: [...seen] };
}
