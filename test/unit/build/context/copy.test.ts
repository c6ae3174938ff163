// COPY's pure rules: the destination (WORKDIR, trailing '/', '.', several
// sources) and --chmod parsing.
import t from 'tap';
import { destination, parseChmod } from '../../../../lib/build/context/copy';

t.test('destinations', async (t) => {
  t.same(destination('/app'), { comps: ['app'], dirLike: false });
  t.same(destination('/app/'), { comps: ['app'], dirLike: true });
  t.same(destination('app', '/srv'), { comps: ['srv', 'app'], dirLike: false }, 'relative: under WORKDIR');
  t.same(destination('.', '/srv'), { comps: ['srv'], dirLike: true }, "'.' is WORKDIR itself, a directory");
  t.same(destination('sub/.', '/srv'), { comps: ['srv', 'sub'], dirLike: true });
  t.same(destination('../../etc', '/srv/app'), { comps: ['etc'], dirLike: false }, "'..' is cleaned lexically and stops at /");
  t.same(destination('/', '/srv'), { comps: [], dirLike: true });
  t.same(destination('/x', '/', true), { comps: ['x'], dirLike: true }, 'several sources make it a directory');
  t.throws(() => destination(''), TypeError);
});

t.test('--chmod', async (t) => {
  t.equal(parseChmod('755'), 0o755);
  t.equal(parseChmod('0644'), 0o644);
  t.equal(parseChmod('4755'), 0o4755);
  t.equal(parseChmod(0o600), 0o600);
  for (const bad of ['', '8', '999', 'u+x', '07777x', '17777', -1, 0o10000, 1.5]) t.throws(() => parseChmod(bad as string | number), { code: 'ERR_INVALID_ARG_VALUE', option: 'chmod' }, `${String(bad)} refused`);
});
