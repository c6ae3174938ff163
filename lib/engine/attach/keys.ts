// Docker's detach keys (term.ToBytes): a comma-separated list of single
// characters and ctrl-<key> combinations, "ctrl-p,ctrl-q" by default.
import { invalid } from '../../util/engine-error';

const KEY_NAMES: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/** Docker's detach keys: "ctrl-p,ctrl-q", "a", "ctrl-@" ... (term.ToBytes). */
export function parseDetachKeys(spec: string): number[] {
  return spec.split(',').map((k) => {
    const t = k.trim();
    if (t.length === 1) return t.charCodeAt(0);
    const m = /^ctrl-(.)$/i.exec(t);
    if (!m) throw invalid(`Invalid detach keys (${spec}) provided`);
    const c = m[1].toLowerCase();
    if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
    if (c in KEY_NAMES) return KEY_NAMES[c];
    throw invalid(`Invalid detach keys (${spec}) provided`);
  });
}
