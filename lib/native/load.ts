// The one place the addon is loaded. node-gyp-build looks in build/Release,
// build/Debug and prebuilds/<platform>-<arch>/; when none loads, the error lists
// every path that was tried so that a user can see what is missing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeBinding } from './types';
import { BulkheadError } from '../errors';

const ROOT = path.resolve(__dirname, '..', '..', '..');

let cached: NativeBinding | undefined;

/** Paths node-gyp-build considers, in its order, for the error message. */
export function candidatePaths(root: string = ROOT): string[] {
  const tuple = `${process.platform}-${process.arch}`;
  const out = [
    path.join(root, 'build', 'Release', 'bulkhead.node'),
    path.join(root, 'build', 'Debug', 'bulkhead.node'),
  ];
  const prebuilds = path.join(root, 'prebuilds', tuple);
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(prebuilds).filter((f) => f.endsWith('.node'));
  } catch {
    // no prebuilds folder: listed below as the folder itself
  }
  if (entries.length === 0) out.push(path.join(prebuilds, '*.node'));
  for (const e of entries) out.push(path.join(prebuilds, e));
  return out;
}

export class NativeLoadError extends BulkheadError {
  constructor(
    readonly tried: string[],
    cause: unknown,
  ) {
    super(
      `bulkhead: could not load the native addon (${(cause as Error)?.message ?? cause}).\n` +
        `Tried:\n${tried.map((p) => `  ${p}${fs.existsSync(p) ? '' : ' (missing)'}`).join('\n')}\n` +
        'Prebuilds cover linux-x64 and linux-arm64 with glibc 2.28 or later; elsewhere build from source ' +
        '(needs python3, make and g++): the install script in a project (README, "Use it from your project"), `npm run build` in a checkout.',
      { code: 'ERR_BULKHEAD_NATIVE', cause },
    );
    this.name = 'NativeLoadError';
  }
}

export function native(): NativeBinding {
  if (cached) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => NativeBinding;
    cached = load(ROOT);
    return cached;
  } catch (err) {
    throw new NativeLoadError(candidatePaths(), err);
  }
}

let initPath: string | undefined;

/** The static bulkhead-init executable built beside the addon (binding.gyp), for init: true. */
export function initBinary(root: string = ROOT): string {
  if (initPath) return initPath;
  const tried = [
    path.join(root, 'build', 'Release', 'bulkhead-init'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'bulkhead-init'),
  ];
  const found = tried.find((p) => fs.existsSync(p));
  if (!found) throw new NativeLoadError(tried, new Error('bulkhead-init is missing'));
  initPath = found;
  return found;
}
