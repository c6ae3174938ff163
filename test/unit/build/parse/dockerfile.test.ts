// The Dockerfile split into stages and instructions (dockerfile-ast), and the
// checks docker build makes at parse time, each naming line and column.
import t from 'tap';
import { BuildError } from '../../../../lib/build/errors';
import { parseDockerfile } from '../../../../lib/build/parse/dockerfile';

t.test('stages, case-insensitive keywords, continuations, comments, JSON and shell forms', async (t) => {
  const df = parseDockerfile(
    [
      'ARG BASE=busybox',
      '# a comment',
      'from ${BASE} AS Build',
      'run echo a \\',
      '  # a comment inside a continuation',
      '  b',
      'CMD ["sh", "-c", "echo two words"]',
      'CMD ["not json"',
      'COPY --chown=1:2 --from=build a /b',
      'FROM build',
      'ENTRYPOINT echo x',
    ].join('\n'),
  );
  t.equal(df.metaArgs.length, 1);
  t.equal(df.stages.length, 2);
  t.equal(df.stages[0].name, 'build');
  const [run, cmd, bad, copy] = df.stages[0].instructions;
  t.equal(run.keyword, 'RUN');
  t.equal(run.written, 'run');
  t.equal(run.line, 4);
  t.match(run.args, /^echo a\s+b$/);
  t.same(cmd.json, ['sh', '-c', 'echo two words']);
  t.equal(bad.json, null, 'malformed JSON is the shell form, as Docker does');
  t.same(copy.flags, [{ name: 'chown', value: '1:2' }, { name: 'from', value: 'build' }]);
  t.equal(copy.rest, 'a /b');
  t.equal(df.stages[1].instructions[0].json, null);
});

t.test('# escape=` makes the backtick the continuation character', async (t) => {
  const df = parseDockerfile('# escape=`\nFROM scratch\nRUN echo a `\n  b');
  t.equal(df.escape, '`');
  t.match(df.stages[0].instructions[0].args, /^echo a\s+b$/);
});

t.test('heredocs', async (t) => {
  const df = parseDockerfile('FROM scratch\nRUN <<EOF\necho one\necho two\nEOF\nCMD x');
  const [run, cmd] = df.stages[0].instructions;
  t.same(run.heredoc, { name: 'EOF', body: 'echo one\necho two\n' });
  t.equal(cmd.keyword, 'CMD');
});

t.test('errors name line and column', async (t) => {
  const err = (text: string) => {
    try {
      parseDockerfile(text);
    } catch (e) {
      return e as BuildError;
    }
    throw new Error('no error');
  };
  const unknown = err('FROM scratch\n  BOGUS x');
  t.equal(unknown.code, 'EINSTRUCTION');
  t.equal(unknown.line, 2);
  t.equal(unknown.column, 3);
  t.match(unknown.message, /^Dockerfile:2:3: unknown instruction: BOGUS/);
  t.match(err('FROM scratch\nRUN').message, /^Dockerfile:2:4: RUN requires at least one argument/);
  t.match(err('RUN x\nFROM scratch').message, /^Dockerfile:1:1: RUN before the first FROM/);
  t.match(err('# nothing').message, /no FROM/);
  t.match(err('FROM a AS 1x').message, /invalid name for build stage/);
  t.match(err('FROM a AS x\nFROM b AS x').message, /duplicate name/);
  t.match(err('FROM scratch\nRUN <<EOF\necho').message, /^Dockerfile:2:1: unterminated heredoc/);
  t.match(err('FROM scratch\nCPY a b').message, /did you mean COPY\?/);
  t.ok(unknown instanceof BuildError);
});
