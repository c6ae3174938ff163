// The layers of /work/shared/ARCHITECTURE.md, checked on the compiled imports:
// an arrow may point down or sideways, never up. util (and lib/errors.ts) at the
// bottom, then native, then cgroup/seccomp/security/caps, then the runtime
// (spawn), then image/network/volume, then the engine (and info), then the cli, the API server and the daemon, then lib/index.ts,
// the package's entry. benchmarks/ sit on top and may use lib/ and support/
// but never test/; support/ (UML boot, busybox rootfs) uses neither. Only
// lib/native loads the addon.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';

const DIST = path.resolve(__dirname, '..', '..');

/** Layers from the bottom; a file belongs to the first prefix that matches. */
const LAYERS: Array<[string, number]> = [
  ['lib/util/', 0],
  ['lib/errors.js', 0],
  ['lib/native/', 1],
  ['lib/cgroup/', 2],
  ['lib/seccomp/', 2],
  ['lib/security/', 2],
  ['lib/caps/', 2],
  ['lib/spawn/', 3],
  ['lib/image/', 4],
  ['lib/network/', 4],
  ['lib/volume/', 4],
  ['lib/engine/', 5],
  ['lib/info/', 5],
  ['lib/build/', 5],
  ['lib/cli/', 6],
  ['lib/api/', 6],
  ['lib/daemon/', 6],
  ['lib/oci/', 6],
  ['lib/index.js', 7],
  ['support/', 8],
  ['benchmarks/', 9],
  ['test/', 10],
];

export interface Edge {
  from: string;
  to: string;
}

function layer(file: string): { name: string; level: number } | null {
  const hit = LAYERS.find(([prefix]) => file === prefix || file.startsWith(prefix));
  return hit ? { name: hit[0], level: hit[1] } : null;
}

/** Each import that runs upward, or that leaves the known layers, as "from -> to (why)". */
export function violations(edges: Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const a = layer(from);
    const b = layer(to);
    if (!a || !b) out.push(`${from} -> ${to} (outside the known layers)`);
    else if (b.level > a.level) out.push(`${from} -> ${to} (${a.name} is below ${b.name})`);
    else if (a.name === 'support/' && b.name !== 'support/') out.push(`${from} -> ${to} (support/ stands alone)`);
  }
  return out;
}

/** bulkhead-oci's one-file bundle (esbuild, npm run bundle:oci): the modules walked here, copied into one file. */
const BUNDLE = 'lib/oci/bundle.js';

/** Relative require()s of every .js file under the given dist folders, as dist-relative paths. */
function compiledEdges(dirs: string[]): { edges: Edge[]; addonLoaders: string[] } {
  const edges: Edge[] = [];
  const addonLoaders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && path.relative(DIST, p) !== BUNDLE) {
        const from = path.relative(DIST, p);
        const text = fs.readFileSync(p, 'utf8');
        if (/require\(['"]node-gyp-build['"]\)|\.node['"]\)/.test(text)) addonLoaders.push(from);
        for (const m of text.matchAll(/require\(['"](\.{1,2}\/[^'"]*)['"]\)/g)) {
          let to = path.relative(DIST, path.resolve(path.dirname(p), m[1]!));
          if (fs.existsSync(path.join(DIST, to + '.js'))) to += '.js';
          else if (fs.existsSync(path.join(DIST, to, 'index.js'))) to = path.join(to, 'index.js');
          edges.push({ from, to });
        }
      }
    }
  };
  for (const d of dirs) walk(path.join(DIST, d));
  return { edges, addonLoaders };
}

t.test('the checker flags an upward arrow and benchmarks importing test/', async (t) => {
  t.same(
    violations([
      { from: 'lib/cli/main.js', to: 'lib/spawn/index.js' },
      { from: 'lib/spawn/options.js', to: 'lib/util/nearest.js' },
      { from: 'lib/security/caps.js', to: 'lib/seccomp/index.js' },
      { from: 'lib/spawn/options.js', to: 'lib/cli/args.js' },
      { from: 'benchmarks/spawn.js', to: 'support/rootfs.js' },
      { from: 'benchmarks/env.js', to: 'test/vm/uml.js' },
      { from: 'support/uml.js', to: 'lib/index.js' },
      { from: 'lib/util/x.js', to: 'node_modules/y.js' },
    ]),
    [
      'lib/spawn/options.js -> lib/cli/args.js (lib/spawn/ is below lib/cli/)',
      'benchmarks/env.js -> test/vm/uml.js (benchmarks/ is below test/)',
      'support/uml.js -> lib/index.js (support/ stands alone)',
      'lib/util/x.js -> node_modules/y.js (outside the known layers)',
    ],
  );
});

t.test('lib/, support/ and benchmarks/ import only downward', async (t) => {
  const { edges, addonLoaders } = compiledEdges(['lib', 'support', 'benchmarks']);
  t.ok(edges.length > 100, `${edges.length} imports read`);
  t.ok(edges.some((e) => e.from.startsWith('lib/spawn/') && e.to.startsWith('lib/util/')), 'the walk sees spawn -> util');
  t.same(violations(edges), []);
  t.same(addonLoaders, ['lib/native/load.js'], 'only lib/native loads the addon');
});
