// Suggestions for unknown option names point only at real typos.
import t from 'tap';
import { KEYS, validateSpawn } from '../../../lib/spawn/options';
import { suggest } from '../../../lib/util/suggest';
import { resolveRlimits } from '../../../lib/security/rlimits';

t.test('unknown options get a suggestion only when it is a real typo', async (t) => {
  t.equal(suggest('input', ['init']), undefined, 'input is not init');
  t.equal(suggest('inptu', KEYS), 'input');
  t.equal(suggest('maxbuffer', KEYS), 'maxBuffer', 'case');
  t.equal(suggest('pdi', ['pid', 'uts']), 'pid', 'a swap');
  t.equal(suggest('pid', KEYS), undefined, 'pid is not uid');
  t.equal(suggest('timout', KEYS), 'timeout');
  t.equal(suggest('readonlyRootfss', KEYS), 'readonlyRootfs');
  t.equal(suggest('envs', KEYS), 'env');
  t.throws(() => validateSpawn('/bin/true', [], { killsignal: 'SIGKILL' }), { name: 'TypeError', message: 'spawn: unknown option "killsignal"; did you mean "killSignal"?' });
});

t.test('rlimit names are suggested the same way', async (t) => {
  t.throws(() => resolveRlimits({ nofiles: 1 }), { message: /did you mean "nofile"/ });
  const e = t.throws(() => resolveRlimits({ cor: 1 }), { name: 'RangeError' }) as Error;
  t.notMatch(e.message, /did you mean/, 'cor is not cpu: no suggestion');
});
