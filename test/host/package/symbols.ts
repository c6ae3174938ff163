// The oldest systems a prebuild must load on: glibc 2.28 and the libstdc++ of
// GCC 8 (RHEL 8 and Debian 10; Ubuntu 20.04 has glibc 2.31 and GCC 10's).
// A shared object records, for every symbol it takes from libc or libstdc++, the
// symbol version it was linked against (`objdump -T`: "(GLIBC_2.32) sigabbrev_np");
// the dynamic linker refuses to load it where the library lacks that version.
export const OLDEST: Record<string, string> = {
  GLIBC: '2.28',
  GLIBCXX: '3.4.25',
  CXXABI: '1.3.11',
};

export interface Versioned {
  symbol: string;
  library: string;
  version: string;
}

/** The GLIBC_/GLIBCXX_/CXXABI_ versions in `objdump -T` output, one per symbol. */
export function versionedSymbols(objdumpT: string): Versioned[] {
  const out: Versioned[] = [];
  for (const line of objdumpT.split('\n')) {
    const m = /\(?\b(GLIBC|GLIBCXX|CXXABI)_([0-9A-Z_.]+)\)?\s+(\S+)\s*$/.exec(line);
    if (m) out.push({ library: m[1]!, version: m[2]!, symbol: m[3]! });
  }
  return out;
}

/** -1, 0, 1 as a is older than, the same as, newer than b ("2.9" < "2.28"). */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Each symbol whose version the oldest supported systems lack, as
 * "sigabbrev_np (GLIBC_2.32)". A version that is not a number (GLIBC_PRIVATE)
 * is never promised across releases, so it counts as too new.
 */
export function tooNew(objdumpT: string, oldest: Record<string, string> = OLDEST): string[] {
  return versionedSymbols(objdumpT)
    .filter((v) => !/^\d+(\.\d+)*$/.test(v.version) || compareVersions(v.version, oldest[v.library]!) > 0)
    .map((v) => `${v.symbol} (${v.library}_${v.version})`);
}
