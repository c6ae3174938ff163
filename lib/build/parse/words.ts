// Docker's word processing for the instructions that take variables (ADD, COPY,
// ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG, ONBUILD's
// own): quotes removed, the escape character honoured, and $VAR, ${VAR},
// ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?msg}, ${VAR?msg}
// expanded, as moby/buildkit's frontend/dockerfile/shell/lex.go does. The
// reference: https://docs.docker.com/reference/dockerfile/#environment-replacement
// ("unset" means not in env at all; ":" also treats the empty string as unset).

export class WordError extends Error {
  constructor(
    message: string,
    /** Offset in the processed text. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'WordError';
  }
}

export type Env = ReadonlyMap<string, string>;

class Lexer {
  pos = 0;
  constructor(
    readonly text: string,
    readonly env: Env,
    readonly escape: string,
  ) {}

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  /** Words of the text: split at unquoted whitespace (split) or one word (the whole text). */
  words(split: boolean): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (split && /\s/.test(ch)) {
        if (inWord) out.push(cur);
        cur = '';
        inWord = false;
        this.pos++;
        continue;
      }
      inWord = true;
      if (ch === this.escape) {
        this.pos++;
        if (this.pos >= this.text.length) cur += ch;
        else cur += this.text[this.pos++];
      } else if (ch === "'") cur += this.single();
      else if (ch === '"') cur += this.double();
      else if (ch === '$') cur += this.dollar();
      else {
        cur += ch;
        this.pos++;
      }
    }
    if (inWord) out.push(cur);
    return out;
  }

  private single(): string {
    const start = this.pos++;
    const end = this.text.indexOf("'", this.pos);
    if (end < 0) throw new WordError('unexpected end of statement while looking for matching single-quote', start);
    const s = this.text.slice(this.pos, end);
    this.pos = end + 1;
    return s;
  }

  private double(): string {
    const start = this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) throw new WordError('unexpected end of statement while looking for matching double-quote', start);
      const ch = this.text[this.pos];
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '$') out += this.dollar();
      else if (ch === this.escape) {
        const next = this.text[this.pos + 1];
        // Inside double quotes the escape character escapes only ", $ and itself.
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.pos += 2;
        } else {
          out += ch;
          this.pos++;
        }
      } else {
        out += ch;
        this.pos++;
      }
    }
  }

  private dollar(): string {
    const start = this.pos++;
    const ch = this.peek();
    if (ch === '{') {
      this.pos++;
      const name = this.name();
      if (name === '') throw new WordError('bad substitution: missing variable name after ${', start);
      if (this.peek() === '}') {
        this.pos++;
        return this.env.get(name) ?? '';
      }
      let colon = false;
      if (this.peek() === ':') {
        colon = true;
        this.pos++;
      }
      const mod = this.peek();
      if (mod !== '-' && mod !== '+' && mod !== '?') throw new WordError(`unsupported modifier (${colon ? ':' : ''}${mod}) in substitution`, start);
      this.pos++;
      const word = this.nested(start);
      const value = this.env.get(name);
      const unset = value === undefined || (colon && value === '');
      if (mod === '-') return unset ? word : (value as string);
      if (mod === '+') return unset ? '' : word;
      if (unset) throw new WordError(`${name}: ${word || 'is not allowed to be unset'}`, start);
      return value as string;
    }
    const name = this.name();
    if (name === '') return '$';
    return this.env.get(name) ?? '';
  }

  private name(): string {
    const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9])/.exec(this.text.slice(this.pos));
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }

  /** The word of a modifier, up to the matching }, itself processed (quotes, nested ${}). */
  private nested(start: number): string {
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) throw new WordError("missing '}' in substitution", start);
      const ch = this.text[this.pos];
      if (ch === '}') {
        this.pos++;
        return out;
      }
      if (ch === this.escape) {
        this.pos++;
        out += this.text[this.pos++] ?? '';
      } else if (ch === "'") out += this.single();
      else if (ch === '"') out += this.double();
      else if (ch === '$') out += this.dollar();
      else {
        out += ch;
        this.pos++;
      }
    }
  }
}

/** One word: quotes removed, variables expanded, whitespace kept. */
export function processWord(text: string, env: Env, escape = '\\'): string {
  return new Lexer(text, env, escape).words(false)[0] ?? '';
}

/** Words split at unquoted whitespace, each processed. */
export function processWords(text: string, env: Env, escape = '\\'): string[] {
  return new Lexer(text, env, escape).words(true);
}

/**
 * Splits raw text at unquoted whitespace without processing anything (quotes,
 * escapes and $ stay as written), for KEY=VALUE lists processed pair by pair.
 */
export function splitRaw(text: string, escape = '\\'): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let quoteAt = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (!quote && /\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    cur += ch;
    if (ch === escape && quote !== "'" && i + 1 < text.length) cur += text[++i];
    else if (!quote && (ch === '"' || ch === "'")) {
      quote = ch;
      quoteAt = i;
    }
    else if (quote && ch === quote) quote = '';
  }
  if (quote) throw new WordError(`unexpected end of statement while looking for matching ${quote === '"' ? 'double' : 'single'}-quote`, quoteAt);
  if (inWord) out.push(cur);
  return out;
}
