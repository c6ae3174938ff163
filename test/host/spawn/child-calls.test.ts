// The child runs between clone and execve in the parent's memory (CLONE_VM):
// one call through the PLT (lazy binding) or into the C library there runs
// the dynamic linker or libc on node's state. The optimiser must not be what
// keeps that from happening: the built addon, Release and a Debug (-O0) build
// made here, has no external or indirect call reachable from the child entry.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { externalCalls } from '../../helpers/childcalls';
import { requirementMissing } from '../../helpers/tier';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

function have(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (!have('objdump') || !have('g++')) {
  requirementMissing('objdump and g++ are needed: apt-get install -y binutils g++');
} else {
  t.test('Release: no external call reachable from ChildMain or the clone3 trampoline', async (t) => {
    const file = path.join(ROOT, 'build', 'Release', 'bulkhead.node');
    if (!fs.existsSync(file)) return requirementMissing(`${file} is not built: npm run build`);
    const { bad, reached } = externalCalls(file);
    t.same(bad, [], `checked ${reached.length} functions`);
  });

  t.test('Debug (-O0, nothing inlined): the same', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-debug-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.copyFileSync(path.join(ROOT, 'binding.gyp'), path.join(dir, 'binding.gyp'));
    fs.cpSync(path.join(ROOT, 'native'), path.join(dir, 'native'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    // The headers node-gyp used for the Release build (no download here).
    const config = fs.readFileSync(path.join(ROOT, 'build', 'config.gypi'), 'utf8');
    const nodedir = /"nodedir": "([^"]+)"/.exec(config)?.[1];
    const gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] });
    execFileSync(process.execPath, [gyp, 'rebuild', '--debug', '-j', '2', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: dir, stdio: 'ignore' });
    const { bad, reached } = externalCalls(path.join(dir, 'build', 'Debug', 'bulkhead.node'));
    t.same(bad, [], `checked ${reached.length} functions`);
    t.ok(reached.length > 5, 'at -O0 the helpers are real functions, and were followed');
  });

  t.test('control: the walk finds the external calls of the parent side', async (t) => {
    const file = path.join(ROOT, 'build', 'Release', 'bulkhead.node');
    if (!fs.existsSync(file)) return;
    const { bad } = externalCalls(file, ['_ZN8bulkhead5SpawnERKN4Napi12CallbackInfoE']);
    t.ok(bad.some((l) => /@plt|\*/.test(l)), 'Spawn (parent side) calls pipe2 and friends through the PLT');
  });
}
