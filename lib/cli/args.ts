// A small flag parser for the command line: GNU-style long flags, short aliases,
// `--flag=value` and `--flag value`, `--` ending the flags. Unknown flags name
// themselves and the nearest valid one.
import { nearest } from '../util/nearest';

export interface FlagSpec {
  name: string;
  short?: string;
  /** boolean flags take no value; list flags may repeat. */
  type: 'boolean' | 'string' | 'list';
  help: string;
  /** What the value looks like in help output, e.g. "BYTES". */
  value?: string;
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type ParsedFlags = Record<string, boolean | string | string[] | undefined>;

export interface Parsed {
  flags: ParsedFlags;
  positionals: string[];
  /** Everything after a literal `--`. */
  rest: string[] | null;
}

export function parseFlags(argv: string[], specs: FlagSpec[], command: string, opts: { stopAtPositional?: boolean } = {}): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const flags: ParsedFlags = {};
  const positionals: string[] = [];
  let rest: string[] | null = null;
  const unknown = (given: string): never => {
    const names = specs.map((s) => `--${s.name}`);
    const near = nearest(given, names);
    // Printable as it is, else quoted: an error stays one line whatever was typed.
    const shown = /^[\x21-\x7e]+$/.test(given) ? given : JSON.stringify(given);
    throw new UsageError(
      `bulkhead ${command}: unknown flag ${shown}${near ? `; did you mean ${near}?` : ''} ` +
        `(valid: ${names.join(', ')})`,
    );
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      spec = byName.get(name) ?? unknown(`--${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of shorts, as getopt(3) and docker read them: booleans, then at most
      // one value flag whose value is the rest of the word or the next word
      // (`-it`, `-ie FOO=1`, `-eFOO=1`, `-itd`).
      let j = 1;
      spec = byShort.get(arg[j]) ?? unknown(`-${arg[j]}`);
      while (spec.type === 'boolean' && j + 1 < arg.length) {
        flags[spec.name] = true;
        j++;
        spec = byShort.get(arg[j]) ?? unknown(`-${arg[j]}`);
      }
      if (spec.type === 'boolean' && arg.length > 2) {
        flags[spec.name] = true;
        continue;
      }
      if (j + 1 < arg.length) inline = arg.slice(j + 1);
    } else {
      if (opts.stopAtPositional) {
        rest = argv.slice(i);
        break;
      }
      positionals.push(arg);
      continue;
    }
    if (spec.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') {
        throw new UsageError(`bulkhead ${command}: --${spec.name} takes no value (got ${JSON.stringify(inline)})`);
      }
      flags[spec.name] = inline !== 'false';
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`bulkhead ${command}: --${spec.name} needs a value`);
      value = argv[++i];
    }
    if (spec.type === 'list') flags[spec.name] = [...((flags[spec.name] as string[] | undefined) ?? []), value];
    else flags[spec.name] = value;
  }
  return { flags, positionals, rest };
}

export function formatHelp(usage: string, summary: string, specs: FlagSpec[]): string {
  const left = specs.map((s) => `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ` ${s.value}` : ''}`);
  const width = Math.max(0, ...left.map((l) => l.length));
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${specs
    .map((s, i) => `  ${left[i].padEnd(width)}  ${s.help}`)
    .join('\n')}\n`;
}
