// The store's discipline across processes: a live writer's partial blob survives
// another process opening the store; a SIGKILLed writer's is removed by the next
// open (its flock is free); index updates from several processes at once are
// never lost (one lock, atomic replace); a blob that does not match is refused.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { Store } from '../../../lib/image/store/store';
import { tempRoot } from '../../helpers/image-root';
import { needRoot } from '../../helpers/tier';

const STORE = path.resolve(__dirname, '..', '..', '..', 'lib', 'image', 'store', 'store.js');

if (needRoot()) main();

function child(root: string, code: string) {
  return spawn(process.execPath, ['-e', `const { Store } = require(${JSON.stringify(STORE)}); const store = new Store(${JSON.stringify(root)}); (async () => { ${code} })();`], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function main() {
  const tmp = tempRoot();

  t.test('a partial blob: kept while its writer lives, removed after a SIGKILL', async (t) => {
    const root = path.join(tmp, 'a');
    new Store(root);
    // A writer that streams forever, saying when its temp file exists.
    const c = child(root, `await store.putBlob((async function* () { process.stdout.write('started\\n'); for (;;) { yield Buffer.alloc(65536, 1); await new Promise((r) => setTimeout(r, 20)); } })());`);
    await new Promise<void>((r) => c.stdout.once('data', () => r()));
    const tmpDir = path.join(root, 'image', 'tmp');
    for (let i = 0; i < 500 && fs.readdirSync(tmpDir).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    t.equal(fs.readdirSync(tmpDir).length, 1, 'the writer has its temp file');
    new Store(root);
    t.equal(fs.readdirSync(tmpDir).length, 1, 'another process opening the store leaves a live writer alone');
    c.kill('SIGKILL');
    await new Promise((r) => c.once('exit', r));
    new Store(root);
    t.same(fs.readdirSync(tmpDir), [], 'after the SIGKILL the next open removes it');
    t.same(fs.readdirSync(path.join(root, 'image', 'blobs', 'sha256')), [], 'and no blob appeared');
  });

  t.test('index updates from 4 processes at once are all kept', async (t) => {
    const root = path.join(tmp, 'b');
    new Store(root);
    const kids = [0, 1, 2, 3].map((k) => child(root, `for (let i = 0; i < 25; i++) await store.updateIndex((d) => { d.tags['example.com/p${k}:' + i] = 'sha256:' + 'a'.repeat(64); });`));
    await Promise.all(kids.map((c) => new Promise((r) => c.once('exit', r))));
    t.equal(Object.keys(new Store(root).readIndex().tags).length, 100);
    t.same(fs.readdirSync(path.join(root, 'image')).filter((f) => f.includes('.tmp-')), [], 'no index temp file left');
  });

  t.test('ensureBlob refuses content that does not match and keeps nothing', async (t) => {
    const store = new Store(path.join(tmp, 'c'));
    const digest = `sha256:${'0'.repeat(64)}`;
    await t.rejects(store.ensureBlob(digest, async () => (async function* () { yield Buffer.from('not it'); })(), { image: 'x' }), { code: 'EDIGEST', message: /x: blob sha256:0{64} failed verification/ });
    t.notOk(store.hasBlob(digest));
    t.same(fs.readdirSync(store.layout.tmp), []);
    const ok = await store.putBlob(Buffer.from('hello'));
    t.equal(ok.digest, 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    t.equal(store.readBlob(ok.digest).toString(), 'hello');
  });
}
