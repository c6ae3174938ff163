// A Dockerfile as stages of instructions. The text is split into instructions
// by dockerfile-ast (rcjsuen's parser behind the VS Code Docker language
// server): parser directives (# escape=), comments, line continuations with the
// escape character, heredocs, and the line and column of everything. It is a
// lenient parser made for editors, so the checks `docker build` makes at parse
// time (unknown instructions, missing arguments, instructions before FROM) are
// made here, each naming the line and column. Words are processed later, per
// instruction, by ./words.ts (Docker substitutes variables only in some).
import type { Instruction as AstInstruction } from 'dockerfile-ast';
import { nearest } from '../../util/nearest';
import { BuildError } from '../errors';

export const INSTRUCTIONS = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;
export type Keyword = (typeof INSTRUCTIONS)[number];

export interface Instruction {
  keyword: Keyword;
  /** The keyword as written (Docker prints it so in `Step N/M : ...`). */
  written: string;
  /** 1-based line and column of the keyword. */
  line: number;
  column: number;
  /** The arguments with line continuations joined and comment lines inside them dropped. */
  args: string;
  /** Column (1-based) where the arguments start on the keyword's line. */
  argsColumn: number;
  /** Leading --name[=value] flags, taken off args (rest holds what follows them). */
  flags: Array<{ name: string; value: string | null }>;
  rest: string;
  /** Exec (JSON) form, when args is a JSON array of strings. */
  json: string[] | null;
  /** RUN <<EOF: the heredoc's body, run as a script. */
  heredoc: { name: string; body: string } | null;
  /** `Step N/M : ` text. */
  text: string;
}

export interface Stage {
  index: number;
  name?: string;
  from: Instruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  escape: string;
  /** ARGs before the first FROM (their values are in scope for FROM lines only). */
  metaArgs: Instruction[];
  stages: Stage[];
}

function jsonForm(args: string): string[] | null {
  const t = args.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v = JSON.parse(t) as unknown;
    // Docker: anything but an array of strings is the shell form.
    return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

function heredocOf(raw: string): Instruction['heredoc'] {
  const m = /^<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2[ \t]*\r?\n/.exec(raw);
  if (!m) return null;
  const lines = raw.slice(m[0].length).split('\n');
  const end = lines.findIndex((l) => (m[1] ? l.replace(/^\t+/, '') : l).replace(/\r$/, '') === m[3]);
  if (end < 0) return { name: m[3], body: '\0unterminated' };
  const body = lines.slice(0, end).map((l) => (m[1] ? l.replace(/^\t+/, '') : l)).join('\n') + '\n';
  return { name: m[3], body };
}

/**
 * The arguments as Docker reads them: each escape character ending a line (and
 * the blanks after it) joins the next line; comment lines and empty lines
 * inside the continuation are dropped (Dockerfile reference, "Parser directives"
 * and "Format": comment lines are removed before the instruction is processed).
 */
function joinLines(raw: string, escape: string): string {
  let out = '';
  raw.split('\n').forEach((line, i) => {
    if (i > 0 && (/^\s*#/.test(line) || /^\s*$/.test(line))) return;
    const t = line.replace(/\s+$/, '');
    out += t.endsWith(escape) ? t.slice(0, -1) : line.replace(/\r$/, '');
  });
  return out;
}

const syntax = (line: number, column: number, msg: string) => new BuildError('ESYNTAX', `Dockerfile:${line}:${column}: ${msg}`, line, column);

/** One instruction (ONBUILD triggers are parsed again when they fire). */
function convert(ins: AstInstruction, escape: string, lineOffset = 0): Instruction {
  const written = ins.getInstruction();
  const start = ins.getInstructionRange().start;
  const line = start.line + 1 + lineOffset;
  const column = start.character + 1;
  const keyword = written.toUpperCase();
  if (!(INSTRUCTIONS as readonly string[]).includes(keyword)) {
    const near = nearest(keyword, [...INSTRUCTIONS]);
    throw new BuildError('EINSTRUCTION', `Dockerfile:${line}:${column}: unknown instruction: ${written}${near ? ` (did you mean ${near}?)` : ''}`, line, column);
  }
  const raw = ins.getRawArgumentsContent() ?? '';
  // dockerfile-ast takes the leading --flags off the arguments of the instructions that have them.
  const astFlags = (ins as AstInstruction & { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> }).getFlags?.() ?? [];
  const flags = astFlags.map((f) => ({ name: f.getName(), value: f.getValue() }));
  const heredoc = keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD' ? heredocOf(raw) : null;
  if (heredoc && heredoc.body === '\0unterminated') throw syntax(line, column, `unterminated heredoc <<${heredoc.name} (no line "${heredoc.name}" ends it)`);
  const args = heredoc ? raw.trim() : joinLines(raw, escape).trim();
  const argsRange = ins.getArgumentsRange();
  const argsColumn = argsRange ? argsRange.start.character + 1 : column + written.length + 1;
  if (args === '' && flags.length === 0) throw syntax(line, column + written.length, `${keyword} requires at least one argument`);
  if (args === '') throw syntax(line, argsColumn, `${keyword} requires at least one argument after its flags`);
  const rest = args;
  const json = ['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'VOLUME', 'COPY', 'ADD'].includes(keyword) && !heredoc ? jsonForm(rest) : null;
  const shownArgs = [...flags.map((f) => `--${f.name}${f.value === null ? '' : `=${f.value}`}`), heredoc ? args : args.replace(/\s+/g, ' ')].join(' ');
  return { keyword: keyword as Keyword, written, line, column, args, argsColumn, flags, rest, json, heredoc, text: `${written} ${shownArgs}` };
}

/**
 * dockerfile-ast, loaded on first use: it brings vscode-languageserver-types,
 * which every other `bulkhead` command, and every program loading the package, would
 * otherwise pay for at startup.
 */
function parser(): typeof import('dockerfile-ast').DockerfileParser {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('dockerfile-ast') as typeof import('dockerfile-ast')).DockerfileParser;
}

/** Parses one instruction's text (an ONBUILD trigger), reported at the ONBUILD's line. */
export function parseInstruction(text: string, line: number, escape = '\\'): Instruction {
  const df = parser().parse(`# escape=${escape}\n${text}`);
  const list = df.getInstructions();
  if (list.length !== 1) throw syntax(line, 1, `ONBUILD needs exactly one instruction, got ${JSON.stringify(text)}`);
  return convert(list[0], escape, line - 2);
}

export function parseDockerfile(text: string): Dockerfile {
  if (typeof text !== 'string') throw new TypeError('the Dockerfile must be a string');
  const df = parser().parse(text);
  const escape = df.getEscapeCharacter();
  for (const d of df.getDirectives()) {
    if (d.getName().toLowerCase() === 'escape' && !['\\', '`'].includes(d.getValue())) {
      const r = d.getValueRange() ?? d.getRange();
      throw syntax(r.start.line + 1, r.start.character + 1, `invalid escape token '${d.getValue()}' does not match ${'`'} or \\`);
    }
  }
  const out: Dockerfile = { escape, metaArgs: [], stages: [] };
  for (const ast of df.getInstructions()) {
    const ins = convert(ast, escape);
    if (ins.keyword === 'FROM') {
      const words = ins.rest.split(/\s+/);
      let name: string | undefined;
      if (words.length === 3 && words[1].toUpperCase() === 'AS') {
        name = words[2].toLowerCase();
        if (!/^[a-z][a-z0-9_.-]*$/.test(name)) throw syntax(ins.line, ins.argsColumn, `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
        if (out.stages.some((s) => s.name === name)) throw syntax(ins.line, ins.argsColumn, `duplicate name for build stage: "${words[2]}"`);
      } else if (words.length !== 1) {
        throw syntax(ins.line, ins.argsColumn, `FROM takes IMAGE [AS NAME], got ${JSON.stringify(ins.rest)}`);
      }
      out.stages.push({ index: out.stages.length, ...(name ? { name } : {}), from: ins, instructions: [] });
    } else if (out.stages.length === 0) {
      if (ins.keyword !== 'ARG') throw syntax(ins.line, ins.column, `${ins.keyword} before the first FROM: no build stage in current context (only ARG may come before FROM)`);
      out.metaArgs.push(ins);
    } else {
      out.stages[out.stages.length - 1].instructions.push(ins);
    }
  }
  if (out.stages.length === 0) throw syntax(1, 1, 'the Dockerfile has no FROM instruction (file with no instructions?)');
  return out;
}
