// Shared by the build context's host tests: a temp directory removed at the
// end, and a file tree written from a compact description.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';

export function tempDir(prefix = 'bulkhead-buildctx-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type Tree = Record<string, string | { data?: string; mode?: number; link?: string; dir?: true; mtime?: number }>;

/** Writes a tree under dir: 'a/b': 'content', 'l': { link: 'target' }, 'd': { dir: true }. */
export function writeTree(dir: string, tree: Tree): void {
  for (const [name, spec] of Object.entries(tree)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const s = typeof spec === 'string' ? { data: spec } : spec;
    if (s.link !== undefined) fs.symlinkSync(s.link, p);
    else if (s.dir) fs.mkdirSync(p, { recursive: true });
    else fs.writeFileSync(p, s.data ?? '');
    if (s.mode !== undefined && s.link === undefined) fs.chmodSync(p, s.mode);
    if (s.mtime !== undefined) fs.lutimesSync(p, s.mtime, s.mtime);
  }
}

/** Everything under dir as 'rel type mode uid:gid [content|target]' lines, sorted. */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(dir, r);
      const st = fs.lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${r} l ${st.uid}:${st.gid} -> ${fs.readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`${r}/ ${mode} ${st.uid}:${st.gid}`);
        walk(r);
      } else out.push(`${r} ${mode} ${st.uid}:${st.gid} ${fs.readFileSync(p, 'utf8')}`);
    }
  };
  walk('');
  return out;
}

export interface HostCanary {
  /** A directory on the host, outside every root the test writes to. */
  dir: string;
  /** The file in it. */
  file: string;
  /** file without its leading slash: the same path taken relative to a root. */
  rel: string;
  /** What an attack would change: the directory's entries, the file's content, link count and mode. */
  snapshot(): { list: string[]; content: string; nlink: number; mode: number };
  /** The snapshot taken when the canary was made. */
  before: { list: string[]; content: string; nlink: number; mode: number };
}

/** A host file that hostile entries aim at; a test proves it untouched by comparing snapshot() with before. */
export function hostCanary(): HostCanary {
  const dir = tempDir('bulkhead-host-canary-');
  const file = path.join(dir, 'canary');
  fs.writeFileSync(file, 'untouched\n');
  const snapshot = () => {
    const st = fs.statSync(file);
    return { list: fs.readdirSync(dir).sort(), content: fs.readFileSync(file, 'utf8'), nlink: st.nlink, mode: st.mode };
  };
  return { dir, file, rel: file.slice(1), snapshot, before: snapshot() };
}
