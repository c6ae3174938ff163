// OCI bundles for crun and runc: the runtime's own default config.json
// (`crun spec`, `runc spec`) with only what this benchmark needs changed.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OciEdit {
  /** Absolute path of the root filesystem. */
  rootfs: string;
  args: string[];
  /** Drop the /sys/fs/cgroup mount (a hybrid host hides its v2 mount from crun). */
  dropCgroupMount: boolean;
}

type Json = Record<string, unknown>;

/**
 * The edits, on a parsed config.json: process.args, no terminal (nothing to
 * attach), root.path, and optionally no /sys/fs/cgroup mount. Everything else,
 * namespaces, capabilities, masked paths, the read-only root, stays the runtime's
 * default. Returns a new object.
 */
export function editOciConfig(config: Json, edit: OciEdit): Json {
  const c = structuredClone(config) as Json & { process?: Json; root?: Json; mounts?: Array<Json> };
  if (typeof c.process !== 'object' || c.process === null) throw new TypeError('config.json has no process object');
  if (!path.isAbsolute(edit.rootfs)) throw new RangeError(`rootfs must be absolute, got ${edit.rootfs}`);
  c.process.args = [...edit.args];
  c.process.terminal = false;
  c.root = { ...(c.root ?? {}), path: edit.rootfs };
  if (edit.dropCgroupMount && Array.isArray(c.mounts)) {
    c.mounts = c.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
  }
  return c;
}

/** Writes `<dir>/config.json` from `<runtime> spec` with the edits. */
export function makeBundle(runtime: string, dir: string, edit: OciEdit): string {
  fs.mkdirSync(dir, { recursive: true });
  const r = cp.spawnSync(runtime, ['spec'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${runtime} spec failed: ${(r.stderr || r.error?.message || '').trim()}`);
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  fs.writeFileSync(file, JSON.stringify(editOciConfig(config, edit), null, 2));
  return dir;
}
