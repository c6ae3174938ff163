// What lib/ requires at run time must be installed with the package: every bare
// import of the compiled library is a Node builtin or one of package.json's
// dependencies (not a devDependency such as systeminformation, which only the
// benchmarks use).
import { builtinModules } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';

const DIST = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(DIST, '..', 'package.json'), 'utf8'));

function bareImports(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) bareImports(p, out);
    else if (e.name.endsWith('.js')) {
      const text = fs.readFileSync(p, 'utf8');
      // require("x") and the dynamic import("x") that TypeScript compiles to require as well.
      for (const m of text.matchAll(/(?:require|import)\(['"]([^'".][^'"]*)['"]\)/g)) out.set(m[1]!, path.relative(DIST, p));
    }
  }
  return out;
}

const packageName = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

t.test('lib/ imports only builtins and dependencies', async (t) => {
  const imports = bareImports(path.join(DIST, 'lib'));
  t.ok(imports.has('node-gyp-build'), 'the walk sees the addon loader');
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  const builtins = new Set(builtinModules);
  const stray = [...imports].filter(([spec]) => !spec.startsWith('node:') && !builtins.has(spec) && !deps.has(packageName(spec)));
  t.same(stray.map(([spec, file]) => `${file}: ${spec}`), []);
  t.notOk(deps.has('systeminformation'), 'systeminformation is a devDependency');
  t.ok(pkg.devDependencies?.systeminformation, 'for the benchmarks');
});
