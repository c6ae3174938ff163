// Driver options of the `local` driver, as Docker's takes them (volume/local):
// type, device and o, passed to mount(8). Bulkhead supports the tmpfs form
// (type=tmpfs,device=tmpfs,o=size=64m,mode=1777,uid=N,gid=N).
import { invalid } from './errors';

export interface TmpfsOptions {
  size?: number;
  mode?: number;
}

const SIZE_RE = /^(\d+)([kmg]?)$/i;

/** Parses DriverOpts; null for a plain directory volume. */
export function parseDriverOpts(opts: Record<string, string> | undefined): TmpfsOptions | null {
  if (opts === undefined || Object.keys(opts).length === 0) return null;
  for (const [k, v] of Object.entries(opts)) {
    if (!['type', 'device', 'o'].includes(k)) throw invalid(`invalid option key: "${k}"`);
    if (typeof v !== 'string') throw invalid(`invalid option ${k}: must be a string, got ${JSON.stringify(v)}`);
  }
  if (opts.type !== 'tmpfs') throw invalid(`unsupported volume option type=${JSON.stringify(opts.type ?? '')}: only type=tmpfs (with device=tmpfs) is supported by the local driver here`);
  if (opts.device !== undefined && opts.device !== 'tmpfs') throw invalid(`invalid device for type=tmpfs: ${JSON.stringify(opts.device)} (use device=tmpfs)`);
  const out: TmpfsOptions = {};
  for (const part of (opts.o ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=');
    if (k === 'size') {
      const m = SIZE_RE.exec(v ?? '');
      if (!m) throw invalid(`invalid size in o=${opts.o}: ${JSON.stringify(v)}`);
      out.size = Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
    } else if (k === 'mode') {
      if (!/^[0-7]{3,4}$/.test(v ?? '')) throw invalid(`invalid mode in o=${opts.o}: ${JSON.stringify(v)}`);
      out.mode = parseInt(v, 8);
    } else throw invalid(`unsupported tmpfs option in o=${opts.o}: ${JSON.stringify(k)} (size and mode are supported)`);
  }
  return out;
}
