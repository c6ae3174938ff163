// .dockerignore: moby/patternmatcher's own tables (TestMatches under
// MatchesOrParentMatches, the multi-pattern cases), the examples of Docker's
// documentation, and the parsing rules of moby's ReadAll.
import t from 'tap';
import { ContextError } from '../../../../lib/build/context/errors';
import { IgnoreMatcher, parseDockerignore } from '../../../../lib/build/context/ignore';

const matcher = (lines: string[]) => new IgnoreMatcher(parseDockerignore(lines.join('\n')));

// [pattern, path, excluded] from patternmatcher_test.go TestMatches (exact and
// inexact both count as excluded: a parent directory matched).
const single: Array<[string, string, boolean]> = [
  ['**', 'file', true],
  ['**', 'file/', true],
  ['**/', 'file', true],
  ['**/', 'file/', true],
  ['**', 'dir/file', true],
  ['**/', 'dir/file', true],
  ['**', 'dir/file/', true],
  ['**/', 'dir/file/', true],
  ['**/**', 'dir/file', true],
  ['**/**', 'dir/file/', true],
  ['dir/**', 'dir/file', true],
  ['dir/**', 'dir/file/', true],
  ['dir/**', 'dir/dir2/file', true],
  ['dir/**', 'dir/dir2/file/', true],
  ['**/dir', 'dir', true],
  ['**/dir', 'dir/file', true],
  ['**/dir2/*', 'dir/dir2/file', true],
  ['**/dir2/*', 'dir/dir2/file/', true],
  ['**/dir2/**', 'dir/dir2/dir3/file', true],
  ['**/dir2/**', 'dir/dir2/dir3/file/', true],
  ['**file', 'file', true],
  ['**file', 'dir/file', true],
  ['**/file', 'dir/file', true],
  ['**file', 'dir/dir/file', true],
  ['**/file', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file.txt', true],
  ['**/file*txt', 'dir/dir/file.txt', true],
  ['**/file*.txt', 'dir/dir/file.txt', true],
  ['**/file*.txt*', 'dir/dir/file.txt', true],
  ['**/**/*.txt', 'dir/dir/file.txt', true],
  ['**/**/*.txt2', 'dir/dir/file.txt', false],
  ['**/*.txt', 'file.txt', true],
  ['**/**/*.txt', 'file.txt', true],
  ['a**/*.txt', 'a/file.txt', true],
  ['a**/*.txt', 'a/dir/file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true],
  ['a/*.txt', 'a/dir/file.txt', false],
  ['a/*.txt', 'a/file.txt', true],
  ['a/*.txt**', 'a/file.txt', true],
  ['a[b-d]e', 'ae', false],
  ['a[b-d]e', 'ace', true],
  ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true],
  ['.*', '.foo', true],
  ['.*', 'foo', false],
  ['abc.def', 'abcdef', false],
  ['abc.def', 'abc.def', true],
  ['abc.def', 'abcZdef', false],
  ['abc?def', 'abcZdef', true],
  ['abc?def', 'abcdef', false],
  ['**/foo/bar', 'foo/bar', true],
  ['**/foo/bar', 'dir/foo/bar', true],
  ['**/foo/bar', 'dir/dir2/foo/bar', true],
  ['abc/**', 'abc', false],
  ['abc/**', 'abc/def', true],
  ['abc/**', 'abc/def/ghi', true],
  ['**/.foo', '.foo', true],
  ['**/.foo', 'bar.foo', false],
  ['a(b)c/def', 'a(b)c/def', true],
  ['a(b)c/def', 'a(b)c/xyz', false],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['a\\\\', 'a\\', true],
  ['a\\*b', 'a*b', true],
  // patternmatcher's suffixMatch: '**' then no other wildcard is a plain suffix
  ['**.log', 'a.log', true],
  ['**.log', 'x/y/b.log', true],
  ['**.log', 'a.logs', false],
  ['**file', 'myfile', true],
  ['**file', 'dir/myfile', true],
  ['**foo/bar', 'xfoo/bar', true],
  ['**foo/bar', 'a/xfoo/bar/baz', true],
  ['**foo/bar', 'foo/barx', false],
  ['**/dir', 'mydir', false],
  ['**d*r', 'x/dxr', true],
  // patternmatcher_test.go's simple cases
  ['*', 'fileutils.go', true],
  ['*.go', 'fileutils.go', true],
];

const multi: Array<[string[], string, boolean]> = [
  [['**', '!util/docker/web'], 'util/docker/web/foo', false],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
  [['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['!fileutils.go', '*.go'], 'fileutils.go', true],
  [['*.go', '!fileutils.go'], 'fileutils.go', false],
  [['docs', '!docs/README.md'], 'docs/README.md', false],
  [['docs/', '!docs/README.md'], 'docs/README.md', false],
  [['docs/*', '!docs/README.md'], 'docs/README.md', false],
  [['docs', '!docs/README.md'], 'docs/other.md', true],
];

t.test('moby/patternmatcher: one pattern', async (t) => {
  for (const [pattern, file, want] of single) t.equal(matcher([pattern]).excludes(file), want, `${JSON.stringify(pattern)} ${want ? 'excludes' : 'keeps'} ${JSON.stringify(file)}`);
});

t.test('moby/patternmatcher: several patterns, the last match wins', async (t) => {
  for (const [patterns, file, want] of multi) t.equal(matcher(patterns).excludes(file), want, `${JSON.stringify(patterns)} ${want ? 'excludes' : 'keeps'} ${JSON.stringify(file)}`);
});

t.test("the examples of Docker's .dockerignore documentation", async (t) => {
  const doc = matcher(['# comment', '*/temp*', '*/*/temp*', 'temp?']);
  t.ok(doc.excludes('somedir/temporary.txt'), '*/temp* excludes somedir/temporary.txt');
  t.ok(doc.excludes('somedir/temp'), '*/temp* excludes the directory somedir/temp');
  t.ok(doc.excludes('somedir/temp/inner.txt'), 'and what is inside it');
  t.ok(doc.excludes('somedir/subdir/temporary.txt'), '*/*/temp* excludes somedir/subdir/temporary.txt');
  t.ok(doc.excludes('tempa'), 'temp? excludes tempa');
  t.ok(doc.excludes('tempb'));
  t.notOk(doc.excludes('temporary.txt'), 'no pattern matches temporary.txt at the root');
  t.notOk(doc.excludes('a/b/c/temporary.txt'), 'nor three levels down');
  t.notOk(doc.excludes('# comment'), 'a comment is no pattern');

  const goFiles = matcher(['**/*.go']);
  t.ok(goFiles.excludes('main.go'), '**/*.go excludes .go files at the root');
  t.ok(goFiles.excludes('a/b/c/x.go'), 'and in every directory');
  t.notOk(goFiles.excludes('a/b/c/x.gox'));

  const md = matcher(['*.md', '!README.md']);
  t.ok(md.excludes('CHANGELOG.md'));
  t.notOk(md.excludes('README.md'), '!README.md brings README.md back');

  const secret1 = matcher(['*.md', '!README*.md', 'README-secret.md']);
  t.notOk(secret1.excludes('README.md'));
  t.notOk(secret1.excludes('README-public.md'));
  t.ok(secret1.excludes('README-secret.md'), 'README-secret.md excluded: the last match wins');
  t.ok(secret1.excludes('other.md'));

  const secret2 = matcher(['*.md', 'README-secret.md', '!README*.md']);
  t.notOk(secret2.excludes('README-secret.md'), 'the exception comes last: README-secret.md is included');
  t.ok(secret2.excludes('other.md'));

  const slashes = matcher(['/foo/bar', './baz/', 'dir/../qux']);
  t.ok(slashes.excludes('foo/bar'), 'a leading / is dropped');
  t.ok(slashes.excludes('baz/x'), 'a leading ./ and a trailing / are cleaned away');
  t.ok(slashes.excludes('qux'), 'dir/../qux is cleaned to qux');
  t.notOk(slashes.excludes('dir/foo/bar'), 'patterns are anchored at the context root');
  t.notOk(matcher(['*.go']).excludes('.'), 'the context root itself is never excluded');
  t.notOk(matcher(['Foo']).excludes('foo'), 'case-sensitive, as on Linux');
});

t.test("parsing follows moby's ReadAll", async (t) => {
  t.same(parseDockerignore('\uFEFFa\n# c\n  # not a comment\n\n  b  \n!  c \n/d/\n./e\r\nf/../g\n'), [
    { pattern: 'a', exclusion: false },
    { pattern: '# not a comment', exclusion: false },
    { pattern: 'b', exclusion: false },
    { pattern: 'c', exclusion: true },
    { pattern: 'd', exclusion: false },
    { pattern: 'e', exclusion: false },
    { pattern: 'g', exclusion: false },
  ]);
  t.throws(() => parseDockerignore('a\n!\n'), { code: 'EPATTERN', message: /illegal exclusion pattern: "!"/ });
  t.throws(() => matcher(['[']), ContextError, "a malformed pattern fails up front ('[')");
  t.throws(() => matcher(['a[']), { code: 'EPATTERN' });
  t.same(parseDockerignore(''), []);
});

t.test('names of Object.prototype members are matched as names', async (t) => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    t.ok(matcher([name]).excludes(name), `${name} excluded when listed`);
    t.notOk(matcher(['other']).excludes(name), `${name} kept when not listed`);
    t.ok(matcher(['*']).excludes(name), `${name} excluded by *`);
  }
});

t.test('which excluded directories are still walked for an exception', async (t) => {
  const m = matcher(['docs', '!docs/keep/this.md', 'node_modules', '!*.md']);
  t.ok(m.mayIncludeUnder('docs'), 'an exception starts with docs/');
  t.ok(m.mayIncludeUnder('docs/keep'));
  t.notOk(m.mayIncludeUnder('node_modules'), 'no exception names node_modules/ (as the docker CLI decides, by prefix)');
  t.notOk(matcher(['a']).mayIncludeUnder('a'));
});
