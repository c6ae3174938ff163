import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { candidatePaths, NativeLoadError } from '../../../lib/native/load';

t.test('candidatePaths lists build dirs and each prebuild', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bh-load-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const tuple = `${process.platform}-${process.arch}`;
  t.same(candidatePaths(root), [
    path.join(root, 'build/Release/bulkhead.node'),
    path.join(root, 'build/Debug/bulkhead.node'),
    path.join(root, 'prebuilds', tuple, '*.node'),
  ]);
  fs.mkdirSync(path.join(root, 'prebuilds', tuple), { recursive: true });
  fs.writeFileSync(path.join(root, 'prebuilds', tuple, 'bulkhead.napi.node'), '');
  t.equal(candidatePaths(root)[2], path.join(root, 'prebuilds', tuple, 'bulkhead.napi.node'));
});

t.test('NativeLoadError says every path tried and whether it exists', async (t) => {
  const e = new NativeLoadError(['/nonexistent/a.node', __filename], new Error('boom'));
  t.equal(e.code, 'ERR_BULKHEAD_NATIVE');
  t.match(e.message, /could not load the native addon \(boom\)/);
  t.match(e.message, /\/nonexistent\/a\.node \(missing\)/);
  t.match(e.message, new RegExp(`${__filename.replace(/[.]/g, '\\.')}\n`));
});
