// Docker's word processing: quotes, the escape character and ${} substitution
// with its modifiers, as the Dockerfile reference's "Environment replacement".
import t from 'tap';
import { processWord, processWords, splitRaw, WordError } from '../../../../lib/build/parse/words';

const env = new Map([['A', 'a'], ['EMPTY', ''], ['SP', 'x y']]);

t.test('substitution and modifiers', async (t) => {
  const cases: Array<[string, string]> = [
    ['$A', 'a'],
    ['${A}', 'a'],
    ['pre${A}post', 'preapost'],
    ['$UNSET', ''],
    ['${UNSET:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${UNSET-dflt}', 'dflt'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET:+alt}', ''],
    ['${UNSET:-${A}b}', 'ab'],
    ['\\$A', '$A'],
    ["'$A'", '$A'],
    ['"$A b"', 'a b'],
    ['"\\$A"', '$A'],
    ['"a\\nb"', 'a\\nb'],
    ['$', '$'],
    ['$1', ''],
    ['a\\ b', 'a b'],
  ];
  for (const [input, want] of cases) t.equal(processWord(input, env), want, input);
});

t.test('the escape directive changes the escape character', async (t) => {
  t.equal(processWord('`$A', env, '`'), '$A');
  t.equal(processWord('C:\\dir', env, '`'), 'C:\\dir');
});

t.test('words split at unquoted whitespace, not inside quotes or values', async (t) => {
  t.same(processWords('80/tcp  "9 0" $SP', env), ['80/tcp', '9 0', 'x y']);
  t.same(splitRaw('A=1 B="two words" C=\'x y\''), ['A=1', 'B="two words"', "C='x y'"]);
});

t.test('errors name the offset', async (t) => {
  t.throws(() => processWord('${A', env), WordError);
  t.throws(() => processWord('"open', env), /matching double-quote/);
  t.throws(() => processWord("'open", env), /matching single-quote/);
  t.throws(() => processWord('${UNSET:?needs a value}', env), /UNSET: needs a value/);
  t.throws(() => processWord('${A:%x}', env), /unsupported modifier/);
  try {
    processWord('ab${', env);
  } catch (err) {
    t.equal((err as WordError).offset, 2);
  }
});
