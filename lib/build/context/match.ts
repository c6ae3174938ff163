// Go's path/filepath.Match, which Docker's builder uses for the wildcards of
// COPY and ADD sources: '*' any run of characters but '/', '?' one character
// but '/', '[...]' a class ('^' negates; 'a-z' ranges; a class may match '/'),
// '\' escapes the next character. A malformed pattern is ErrBadPattern, found
// while compiling the whole pattern (as Go 1.16+ reports it even when the name
// would not match). Written here: no npm glob library has these semantics
// (minimatch and picomatch add braces, extglobs and '**', and treat a leading
// '.' specially), and every accepted character ends up choosing host files.

export class BadPatternError extends Error {
  constructor(readonly pattern: string) {
    super('syntax error in pattern');
    this.name = 'BadPatternError';
  }
}

const cache = new Map<string, RegExp>();

const esc = (cp: number): string => `\\u{${cp.toString(16)}}`;

function compile(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const chars = Array.from(pattern);
  let re = '^';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= chars.length) throw new BadPatternError(pattern);
      re += esc((chars[i] as string).codePointAt(0) as number);
    } else if (c === '[') {
      i++;
      let negate = false;
      if (chars[i] === '^') {
        negate = true;
        i++;
      }
      const ranges: string[] = [];
      for (;;) {
        if (i >= chars.length) throw new BadPatternError(pattern);
        if (chars[i] === ']' && ranges.length > 0) break;
        const lo = classChar(chars, i, pattern);
        i = lo.next;
        let hi = lo;
        if (chars[i] === '-') {
          hi = classChar(chars, i + 1, pattern);
          i = hi.next;
          if (hi.cp < lo.cp) throw new BadPatternError(pattern);
        }
        ranges.push(hi.cp === lo.cp ? esc(lo.cp) : `${esc(lo.cp)}-${esc(hi.cp)}`);
      }
      re += `[${negate ? '^' : ''}${ranges.join('')}]`;
    } else re += esc(c.codePointAt(0) as number);
  }
  const compiled = new RegExp(re + '$', 'su');
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** One character of a class at i (Go's getEsc): '-' and ']' must be escaped, '\' escapes. */
function classChar(chars: string[], i: number, pattern: string): { cp: number; next: number } {
  let c = chars[i];
  if (c === undefined || c === '-' || c === ']') throw new BadPatternError(pattern);
  if (c === '\\') {
    i++;
    c = chars[i];
    if (c === undefined) throw new BadPatternError(pattern);
  }
  return { cp: c.codePointAt(0) as number, next: i + 1 };
}

/** filepath.Match(pattern, name) on Linux; throws BadPatternError for a malformed pattern. */
export function goMatch(pattern: string, name: string): boolean {
  return compile(pattern).test(name);
}

/** Checks a pattern without matching anything (ErrBadPattern up front). */
export function validatePattern(pattern: string): void {
  compile(pattern);
}

/** Docker's containsWildcards: an unescaped '*', '?' or '['. */
export function hasWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}
