// ADD <URL> (issue #17), against a Node http server on 127.0.0.1: the file
// lands as a file (a tar.gz not unpacked), mode 0600, owned 0:0, mtime from
// Last-Modified, redirects followed; --chown/--chmod; the cache keyed on the
// downloaded bytes (same bytes hit, changed bytes miss); an HTTP 404 and a
// closed port fail with their messages; COPY of a URL stays refused.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { BuildError } from '../../../lib/build/errors';
import { buildEnv } from '../../helpers/build';
import { imageTier } from '../../helpers/image-root';

if (imageTier()) void main();

const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT'; // 1445412480

const tempDownloads = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('bulkhead-add-'));

async function main() {
  const env = await buildEnv('bulkhead-build-addurl-');
  const fail = async (p: Promise<unknown>) => (await p.then(() => null, (e: unknown) => e)) as BuildError;
  const before = new Set(tempDownloads());

  const pkgDir = path.join(env.tmp, 'pkg');
  fs.mkdirSync(path.join(pkgDir, 'x'), { recursive: true });
  fs.writeFileSync(path.join(pkgDir, 'x', 'y.txt'), 'in the tar\n');
  execFileSync('tar', ['-C', pkgDir, '-czf', path.join(env.tmp, 'pkg.tar.gz'), 'x']);
  const tgz = fs.readFileSync(path.join(env.tmp, 'pkg.tar.gz'));
  let data = 'v1\n';
  let dataHits = 0;

  const server = http.createServer((req, res) => {
    if (req.url === '/files/hello.txt') {
      res.writeHead(200, { 'Last-Modified': LAST_MODIFIED }).end('hello over http\n');
    } else if (req.url === '/pkg.tar.gz') {
      res.writeHead(200, { 'Content-Type': 'application/gzip' }).end(tgz);
    } else if (req.url === '/redirect') {
      res.writeHead(302, { Location: '/files/hello.txt' }).end();
    } else if (req.url === '/data') {
      dataHits++;
      res.writeHead(200).end(data);
    } else {
      res.writeHead(404).end('not here\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => server.close());

  t.test('a file, a tar.gz kept as a file, a redirect with --chown/--chmod', async (t) => {
    const ctx = env.context({
      Dockerfile: `FROM busybox:test\nADD ${base}/files/hello.txt /hello.txt\nADD ${base}/pkg.tar.gz /opt/\nADD --chown=app:extra --chmod=644 ${base}/redirect /srv/r.txt\n`,
    });
    await env.build(ctx, { tags: ['addurl:1'] });
    const out = env.cli(['run', '--pull=never', 'addurl:1', 'sh', '-c', 'stat -c "%n %F %u:%g %a %Y" /hello.txt /opt/pkg.tar.gz /srv/r.txt; cat /hello.txt; sha256sum /opt/pkg.tar.gz; ls /opt']);
    t.equal(out.status, 0, out.stderr);
    t.equal(
      out.stdout,
      '/hello.txt regular file 0:0 600 1445412480\n' +
        '/opt/pkg.tar.gz regular file 0:0 600 0\n' +
        '/srv/r.txt regular file 1000:2000 644 1445412480\n' +
        'hello over http\n' +
        `${createHash('sha256').update(tgz).digest('hex')}  /opt/pkg.tar.gz\n` +
        'pkg.tar.gz\n',
    );
  });

  t.test('a local file and a URL together: dest is a directory', async (t) => {
    const ctx = env.context({ Dockerfile: `FROM busybox:test\nADD local.txt ${base}/files/hello.txt /mix\n`, 'local.txt': 'local\n' });
    await env.build(ctx, { tags: ['addurl:mix'] });
    t.equal(env.cli(['run', '--pull=never', 'addurl:mix', 'sh', '-c', 'cat /mix/local.txt /mix/hello.txt']).stdout, 'local\nhello over http\n');
  });

  t.test('the cache follows the downloaded bytes', async (t) => {
    const ctx = env.context({ Dockerfile: `FROM busybox:test\nADD ${base}/data /fetched\nRUN cat /fetched\n` });
    const first = await env.build(ctx);
    t.match(first.output, /\nv1\n/);
    const hitsBefore = dataHits;
    const same = await env.build(ctx);
    t.equal(dataHits, hitsBefore + 1, 'downloaded again to compare');
    t.equal(same.id, first.id, 'the same bytes keep the cache');
    t.equal(same.output.match(/Using cache/g)?.length, 2);
    data = 'v2\n';
    const changed = await env.build(ctx);
    t.not(changed.id, first.id);
    t.notMatch(changed.output, /Using cache/);
    t.match(changed.output, /\nv2\n/);
  });

  t.test('an HTTP error status, a closed port, COPY of a URL', async (t) => {
    const missing = await fail(env.build(env.context({ Dockerfile: `FROM busybox:test\nADD ${base}/missing /m\n` })));
    t.equal(missing.code, 'ECONTEXT');
    t.equal(missing.message, `Dockerfile:2:1: ADD failed: ${base}/missing: HTTP 404`);
    // A port that was just free: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/x`;
    await new Promise((resolve) => probe.close(resolve));
    const refused = await fail(env.build(env.context({ Dockerfile: `FROM busybox:test\nADD ${closed} /x\n` })));
    t.equal(refused.code, 'ECONTEXT');
    t.match(refused.message, `Dockerfile:2:1: ADD from a URL needs network access, which this machine does not have: ${closed}`);
    t.match(refused.message, /: ECONNREFUSED/);
    const copy = await fail(env.build(env.context({ Dockerfile: `FROM busybox:test\nCOPY ${base}/files/hello.txt /x\n` })));
    t.match(copy.message, /source can't be a URL for COPY/);
    t.same(env.mounts(), []);
    t.same(tempDownloads().filter((n) => !before.has(n)), [], 'no download left in the temp directory');
  });
}
