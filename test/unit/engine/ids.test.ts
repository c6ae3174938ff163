// Ids, names and generated names by Docker's rules.
import t from 'tap';
import { ID_RE, newId, shortId } from '../../../lib/engine/ids/id';
import { canonicalName, generateName, validName } from '../../../lib/engine/ids/names';

t.test('ids are 64 hex, unique, short form 12', async (t) => {
  const ids = new Set(Array.from({ length: 1000 }, newId));
  t.equal(ids.size, 1000);
  for (const id of ids) {
    t.match(id, ID_RE);
    t.notMatch(shortId(id), /^\d{12}$/, 'no all-digit short id');
  }
});

t.test("names follow [a-zA-Z0-9][a-zA-Z0-9_.-]+", async (t) => {
  for (const ok of ['ab', 'web-1', 'a.b_c', '/x1', 'Z9']) t.ok(validName(ok), ok);
  for (const bad of ['a', '', '-x', '_x', 'a b', 'a/b', '.x', 'é1', '//x']) t.notOk(validName(bad), bad);
  t.equal(canonicalName('x1'), '/x1');
  t.equal(canonicalName('/x1'), '/x1');
});

t.test('generated names are adjective_surname, valid, and avoid taken ones', async (t) => {
  const taken = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const n = generateName((x) => taken.has(x));
    t.ok(validName(n), n);
    t.match(n, /^[a-z]+_[a-z]+\d*$/);
    t.notOk(taken.has(`/${n}`));
    taken.add(`/${n}`);
  }
});
