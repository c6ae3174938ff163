// build()'s options are checked before anything is read or made: TypeErrors
// and RangeErrors naming the option and the value.
import t from 'tap';
import { build } from '../../../lib/build/build';

t.test('bad options', async (t) => {
  const cases: Array<[unknown, RegExp, typeof TypeError | typeof RangeError]> = [
    [undefined, /build options must be an object/, TypeError],
    [{}, /context must be a directory path, got undefined/, TypeError],
    [{ context: '.', dockerfile: '' }, /dockerfile must be a file path/, TypeError],
    [{ context: '.', tags: 'app' }, /tags must be an array of strings/, TypeError],
    [{ context: '.', tags: ['App:1'] }, /^tags: /, TypeError],
    [{ context: '.', tags: [`app@sha256:${'a'.repeat(64)}`] }, /a digest/, TypeError],
    [{ context: '.', buildArgs: { A: 1 } }, /buildArgs must be an object of strings/, TypeError],
    [{ context: '.', labels: null }, /labels must be an object of strings/, TypeError],
    [{ context: '.', target: '' }, /target must be a stage name/, TypeError],
    [{ context: '.', network: 'bridge' }, /network must be host or none, got "bridge"/, RangeError],
    [{ context: '.', onProgress: 'x' }, /onProgress must be a function/, TypeError],
    [{ context: '.', signal: {} }, /signal must be an AbortSignal/, TypeError],
    [{ context: '.', platform: 'linux' }, /platform must be OS\/ARCH/, TypeError],
  ];
  for (const [opts, re, type] of cases) await t.rejects(build(opts as never), { constructor: type, message: re }, JSON.stringify(opts));
});

t.test('a missing context or Dockerfile is ECONTEXT', async (t) => {
  await t.rejects(build({ context: '/nonexistent/ctx' }), { code: 'ECONTEXT', message: /unable to prepare context: path "\/nonexistent\/ctx" not found/ });
  await t.rejects(build({ context: '/', dockerfile: 'no-such-Dockerfile' }), { code: 'ECONTEXT', message: /unable to read the Dockerfile \/no-such-Dockerfile: ENOENT/ });
});
