// An Engine over a temporary data root for a test, closed and removed at its end,
// with a check that nothing it made is left in the cgroup hierarchy.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';
import { Engine, type EngineOptions } from '../../lib/engine/index';

export function tempRoot(t: Test): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-engine-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}

export async function openEngine(t: Test, opts: EngineOptions = {}): Promise<Engine> {
  const engine = await Engine.open({ root: opts.root ?? tempRoot(t), ...opts });
  t.teardown(async () => {
    await engine.close({ timeout: 0 });
  });
  return engine;
}

/** Child groups left under the engine's cgroup parent (each a container's). */
export function groupsUnder(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
