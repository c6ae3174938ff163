// The published package, as a user gets it: `npm pack` (whose prepack script
// builds the linux-x64 and linux-arm64 prebuilds), then `npm install` of the
// tarball into a fresh project with no compiler, make or python on the PATH,
// then a container from it and `bulkhead info`. The prebuilds must load on
// glibc 2.28 (objdump -T over each), and the tarball carries its LICENSE and no
// source maps (the .ts sources they would point at are not shipped).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { needRoot, requirementMissing } from '../../helpers/tier';
import { tooNew } from './symbols';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const ARCHES = { x64: { triplet: 'x86_64-linux-gnu', machine: /X86-64/ }, arm64: { triplet: 'aarch64-linux-gnu', machine: /AArch64/ } };
type Arch = keyof typeof ARCHES;
const BUILD_TOOLS = ['make', 'g++', 'gcc', 'cc', 'c++', 'python3'];

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20, ...opts });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), error: r.error };
}

const onPath = (cmd: string, PATH = process.env.PATH ?? '') => run('/bin/sh', ['-c', `command -v "$1"`, 'sh', cmd], { env: { PATH } }).status === 0;

/** The objdump that reads this architecture's ELF files (binutils or its cross variant). */
function objdumpFor(arch: Arch): string {
  return arch === process.arch ? 'objdump' : `${ARCHES[arch].triplet}-objdump`;
}

function missingTools(): string | null {
  const other: Arch = process.arch === 'x64' ? 'arm64' : 'x64';
  if (!(process.arch in ARCHES)) return `prebuilds are made on x64 or arm64, not ${process.arch}`;
  const need = ['objdump', 'readelf', `${ARCHES[other].triplet}-g++`, objdumpFor(other)];
  const absent = need.filter((c) => !onPath(c));
  return absent.length ? `needs ${absent.join(', ')} (apt-get install g++ binutils g++-${ARCHES[other].triplet} binutils-${ARCHES[other].triplet})` : null;
}

/** A project directory whose package.json lets `tarball`'s install script run (npm 11 blocks dependencies' scripts unless allowed). */
function project(dir: string, tarball: string): string {
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bh-consumer', version: '1.0.0', private: true, allowScripts: { [`file:${tarball}`]: true } }));
  return dir;
}

if (needRoot()) {
  const missing = missingTools();
  if (missing) requirementMissing(missing);
  else main();
}

function main(): void {
  // Under /var/tmp, not /tmp: spawn()'s host view stages its root on a tmpfs over
  // /tmp, which hides bind sources under /tmp (bulkhead-init among them) from the
  // child (a known spawn limitation, reported with this test).
  const work = fs.mkdtempSync(path.join('/var/tmp', 'bh-pack-'));
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

  // A PATH with node, npm and a shell and nothing that compiles.
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  for (const cmd of ['node', 'npm', 'npx', 'sh', 'env']) {
    const found = run('/bin/sh', ['-c', `command -v "$1"`, 'sh', cmd]).stdout.trim();
    if (found) fs.symlinkSync(fs.realpathSync(found), path.join(bin, cmd));
  }
  const env = { ...process.env, PATH: bin, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

  const packed = run('npm', ['pack', '--pack-destination', work], { cwd: ROOT });
  const tarball = path.join(work, fs.readdirSync(work).find((f) => f.endsWith('.tgz')) ?? 'missing.tgz');
  const files = packed.status === 0 ? run('tar', ['-tzf', tarball]).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')) : [];

  t.test('npm pack makes a tarball with both prebuilds, LICENSE and no source maps', async (t) => {
    t.equal(packed.status, 0, packed.status === 0 ? 'npm pack' : `npm pack: ${packed.stderr.slice(-2000)}`);
    for (const arch of Object.keys(ARCHES)) {
      t.ok(files.includes(`prebuilds/linux-${arch}/bulkhead.glibc.node`), `${arch} addon`);
      t.ok(files.includes(`prebuilds/linux-${arch}/bulkhead-init`), `${arch} bulkhead-init`);
    }
    t.ok(files.includes('LICENSE'), 'LICENSE');
    t.ok(files.includes('binding.gyp') && files.includes('native/spawn/child.cc'), 'sources for the source-build fallback');
    t.ok(files.includes('dist/lib/index.js') && files.includes('dist/lib/index.d.ts'), 'the compiled library and its types');
    t.ok(files.includes('dist/lib/daemon/main.js') && files.includes('contrib/bulkheadd.service'), 'bulkheadd and its systemd unit');
    t.same(files.filter((f) => f.endsWith('.map')), [], 'no source maps');
    t.same(files.filter((f) => /^(test|benchmarks|support|dist\/test|dist\/benchmarks|dist\/support|lib|scripts|build)\//.test(f)), [], 'no tests, benchmarks or build tree');
    t.notOk(fs.existsSync(path.join(ROOT, 'prebuilds')), 'postpack removed prebuilds/ from the checkout');
    const license = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    t.match(license, /Apache License\s+Version 2\.0, January 2004/);
    t.match(license, /END OF TERMS AND CONDITIONS/);
  });

  const extracted = path.join(work, 'x');
  fs.mkdirSync(extracted);
  if (packed.status === 0) run('tar', ['-xzf', tarball, '-C', extracted]);
  const pkg = path.join(extracted, 'package');

  t.test('the prebuilds load on glibc 2.28 and GCC 8 libstdc++; bulkhead-init is static', async (t) => {
    for (const [arch, { machine }] of Object.entries(ARCHES) as [Arch, (typeof ARCHES)[Arch]][]) {
      const addon = path.join(pkg, 'prebuilds', `linux-${arch}`, 'bulkhead.glibc.node');
      const dump = run(objdumpFor(arch), ['-T', addon]);
      t.equal(dump.status, 0, `${objdumpFor(arch)} -T ${arch}: ${dump.stderr}`);
      t.match(dump.stdout, /\(GLIBC_2\.\d+\)/, `${arch}: objdump shows versioned glibc symbols`);
      t.same(tooNew(dump.stdout), [], `${arch} addon: no symbol newer than GLIBC_2.28, GLIBCXX_3.4.25, CXXABI_1.3.11`);
      t.match(run('readelf', ['-h', addon]).stdout, machine, `${arch} addon is an ${arch} ELF`);
      const init = path.join(pkg, 'prebuilds', `linux-${arch}`, 'bulkhead-init');
      t.match(run('readelf', ['-h', init]).stdout, machine, `${arch} bulkhead-init is an ${arch} ELF`);
      const segments = run('readelf', ['-lW', init]).stdout;
      t.match(segments, /LOAD/);
      t.notMatch(segments, /INTERP|DYNAMIC/, `${arch} bulkhead-init: no interpreter, no dynamic section`);
    }
  });

  t.test('installs with no compiler on the PATH, and runs a container', async (t) => {
    for (const tool of BUILD_TOOLS) t.notOk(onPath(tool, bin), `${tool} is not on the install PATH`);
    const dir = project(path.join(work, 'app'), tarball);
    const inst = run('npm', ['install', '--prefer-offline', '--foreground-scripts', tarball], { cwd: dir, env });
    t.equal(inst.status, 0, inst.status === 0 ? 'npm install' : `npm install: ${inst.stderr.slice(-2000)}`);
    t.match(inst.stdout, /> node-gyp-build/, 'the install script ran (node-gyp-build)');
    const installed = path.join(dir, 'node_modules', 'bulkhead');
    t.notOk(fs.existsSync(path.join(installed, 'build')), 'nothing was compiled');
    const script = `
      const { spawn } = require('bulkhead');
      const which = require('node-gyp-build').path(require('path').dirname(require.resolve('bulkhead/package.json')));
      (async () => {
        const r = await spawn('/bin/echo', ['hello from a container']);
        const i = await spawn('/bin/true', [], { init: true });
        console.log(JSON.stringify({ which, stdout: r.stdout, exitCode: r.exitCode, init: i.exitCode }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const res = run('node', ['-e', script], { cwd: dir, env });
    t.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout || '{}');
    t.equal(out.which, path.join(installed, 'prebuilds', `linux-${process.arch}`, 'bulkhead.glibc.node'), 'node-gyp-build loads the prebuild');
    t.equal(out.stdout, 'hello from a container\n');
    t.equal(out.exitCode, 0);
    t.equal(out.init, 0, 'bulkhead-init from the prebuilds runs as pid 1');

    const info = run('npx', ['bulkhead', 'info', '--json'], { cwd: dir, env });
    t.equal(info.status, 0, info.stderr);
    const parsed = JSON.parse(info.stdout || '{}');
    t.equal(parsed.kernel?.arch, process.arch);
    t.equal(parsed.root, true);
  });

  t.test('control: without the prebuilds the same install needs a compiler and fails', async (t) => {
    fs.rmSync(path.join(pkg, 'prebuilds'), { recursive: true, force: true });
    const bare = path.join(work, 'bare.tgz');
    t.equal(run('tar', ['-czf', bare, '-C', extracted, 'package']).status, 0);
    const dir = project(path.join(work, 'bare-app'), bare);
    const inst = run('npm', ['install', '--prefer-offline', '--foreground-scripts', bare], { cwd: dir, env, timeout: 180_000 });
    t.not(inst.status, 0, 'node-gyp cannot build here');
    t.match(inst.stdout + inst.stderr, /gyp ERR!/, 'the failure is the source build');
  });
}
