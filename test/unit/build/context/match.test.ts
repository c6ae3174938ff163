// Go's filepath.Match as COPY/ADD wildcards use it: the table of Go's own
// path/filepath match_test.go (as moby/patternmatcher copies it), ErrBadPattern
// cases included, and Docker's containsWildcards.
import t from 'tap';
import { BadPatternError, goMatch, hasWildcards } from '../../../../lib/build/context/match';

const BAD = 'bad';
const table: Array<[string, string, boolean | typeof BAD]> = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false], // filepath.Match: '*' never matches '/'
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', BAD],
  ['[-]', '-', BAD],
  ['[x-]', 'x', BAD],
  ['[x-]', '-', BAD],
  ['[x-]', 'z', BAD],
  ['[-x]', 'x', BAD],
  ['[-x]', '-', BAD],
  ['[-x]', 'a', BAD],
  ['\\', 'a', BAD],
  ['[a-b-c]', 'a', BAD],
  ['[', 'a', BAD],
  ['[^', 'a', BAD],
  ['[^bc', 'a', BAD],
  ['a[', 'a', BAD],
  ['a[', 'ab', BAD],
  ['a[', 'x', BAD],
  ['a/b[', 'x', BAD],
  ['*x', 'xxx', true],
  // Regular-expression characters are literal.
  ['a(b)c', 'a(b)c', true],
  ['a.c', 'abc', false],
  ['a+', 'aa', false],
  ['a+', 'a+', true],
  ['$x^', '$x^', true],
];

t.test("Go's filepath.Match table", async (t) => {
  for (const [pattern, name, want] of table) {
    if (want === BAD) t.throws(() => goMatch(pattern, name), BadPatternError, `Match(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) is ErrBadPattern`);
    else t.equal(goMatch(pattern, name), want, `Match(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) = ${want}`);
  }
});

t.test("Docker's containsWildcards", async (t) => {
  t.ok(hasWildcards('*.js'));
  t.ok(hasWildcards('src/fi?e'));
  t.ok(hasWildcards('a[bc]'));
  t.notOk(hasWildcards('plain/file.txt'));
  t.notOk(hasWildcards('a\\*b'), 'an escaped star is no wildcard');
  t.ok(hasWildcards('a\\\\*b'), 'an escaped backslash then a star is');
});
