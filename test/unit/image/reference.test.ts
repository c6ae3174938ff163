// Docker's reference normalisation (distribution/reference) and its refusals.
import t from 'tap';
import { ImageError } from '../../../lib/image/errors';
import { familiarName, formatReference, parseReference } from '../../../lib/image/reference/parse';

const D = `sha256:${'a'.repeat(64)}`;

t.test('normalisation', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['alpine:3.19', 'docker.io/library/alpine:3.19', 'alpine:3.19'],
    ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['docker.io/library/busybox:1', 'docker.io/library/busybox:1', 'busybox:1'],
    ['index.docker.io/x/y', 'docker.io/x/y:latest', 'x/y:latest'],
    ['localhost:5000/a/b:c', 'localhost:5000/a/b:c', 'localhost:5000/a/b:c'],
    ['localhost/a', 'localhost/a:latest', 'localhost/a:latest'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000/x:latest', '127.0.0.1:5000/x:latest'],
    ['quay.io/org/img_x-y.z__w', 'quay.io/org/img_x-y.z__w:latest', 'quay.io/org/img_x-y.z__w:latest'],
    [`alpine@${D}`, `docker.io/library/alpine@${D}`, `alpine@${D}`],
    [`alpine:3@${D}`, `docker.io/library/alpine:3@${D}`, `alpine:3@${D}`],
  ];
  for (const [input, full, fam] of cases) {
    const r = parseReference(input);
    t.equal(formatReference(r), full, input);
    t.equal(familiarName(r), fam, `${input} familiar`);
  }
});

t.test('malformed references are EREFERENCE errors naming the input', async (t) => {
  for (const bad of ['', 'Alpine', 'a/B', 'alpine:', 'alpine:-x', 'a//b', '-a', 'a@sha256:123', 'a@md5:' + 'a'.repeat(32), 'a b', 'a/../b', `${'a'.repeat(300)}`, 'alpine:' + 'x'.repeat(129), 'a:b:c']) {
    let err: unknown;
    try {
      parseReference(bad);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ImageError && err.code === 'EREFERENCE' && err.message.includes(JSON.stringify(bad)), `${JSON.stringify(bad)}: ${(err as Error)?.message}`);
  }
});
