// A real registry for the tests: Debian's docker-registry (the distribution
// registry binary) on a random 127.0.0.1 port, filesystem storage in a temp
// directory, never the system service; optionally behind htpasswd basic auth or a
// token server written here (ES256 JWTs with an x5c header, checked by the
// registry against a self-signed certificate: distribution docs "token auth").
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export function registryMissing(): string | null {
  for (const [bin, pkg] of [[REGISTRY_BIN, 'docker-registry'], ['/usr/bin/skopeo', 'skopeo'], ['/usr/bin/htpasswd', 'apache2-utils'], ['/usr/bin/openssl', 'openssl']]) {
    if (!fs.existsSync(bin)) return `${bin} not found: apt-get install -y ${pkg}`;
  }
  return null;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Registry {
  host: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export interface TokenServer {
  url: string;
  requests: Array<{ scope: string | null; user: string | null }>;
  close(): Promise<void>;
}

export interface RegistryOptions {
  dir: string;
  htpasswd?: { user: string; password: string };
  token?: { realm: string; cert: string };
}

export async function startRegistry(o: RegistryOptions): Promise<Registry> {
  const port = await freePort();
  fs.mkdirSync(path.join(o.dir, 'storage'), { recursive: true });
  let auth = '';
  if (o.htpasswd) {
    const file = path.join(o.dir, 'htpasswd');
    execFileSync('htpasswd', ['-Bbc', file, o.htpasswd.user, o.htpasswd.password], { stdio: 'ignore' });
    auth = `auth:\n  htpasswd:\n    realm: test\n    path: ${file}\n`;
  } else if (o.token) {
    auth = `auth:\n  token:\n    realm: ${o.token.realm}\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: ${o.token.cert}\n`;
  }
  const config = path.join(o.dir, 'config.yml');
  fs.writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${o.dir}/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`);
  const proc = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.body?.cancel();
      break;
    } catch {
      if (i > 100 || proc.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
      await sleep(50);
    }
  }
  return {
    host,
    proc,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGKILL');
        await new Promise((r) => proc.once('exit', r));
      }
    },
  };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A token server: checks basic credentials (when users are given), answers ES256 JWTs granting the asked scope. */
export async function startTokenServer(dir: string, users: Record<string, string>, opts: { allowAnonymous?: boolean } = {}): Promise<TokenServer & { cert: string }> {
  const key = path.join(dir, 'token.key');
  const cert = path.join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=bulkhead-test-token'], { stdio: 'ignore' });
  const privateKey = createPrivateKey(fs.readFileSync(key));
  const der = new X509Certificate(fs.readFileSync(cert)).raw.toString('base64');
  const requests: TokenServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scope = url.searchParams.get('scope');
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [user, pass] = m ? Buffer.from(m[1], 'base64').toString().split(':') : [null, null];
    requests.push({ scope, user });
    if (user ? users[user] !== pass : !opts.allowAnonymous) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    const access = [];
    const sm = scope ? /^repository:([^:]+):(.+)$/.exec(scope) : null;
    if (sm && user) access.push({ type: 'repository', name: sm[1], actions: sm[2].split(',') });
    else if (sm) access.push({ type: 'repository', name: sm[1], actions: ['pull'] });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [der] }));
    const claims = b64url(JSON.stringify({ iss: 'test-issuer', sub: user ?? '', aud: 'test-registry', exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
    const sig = sign('sha256', Buffer.from(`${header}.${claims}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const token = `${header}.${claims}.${b64url(sig)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/token`;
  return { url, cert, requests, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * skopeo against a plain-HTTP loopback registry. Asynchronous: the token server
 * lives in this process and must keep answering while skopeo runs.
 */
export async function skopeo(args: string[], creds?: string): Promise<string> {
  const argv = ['--insecure-policy', args[0], ...(args[0] === 'copy' ? ['--src-tls-verify=false', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', creds, '--src-creds', creds] : [])] : ['--tls-verify=false', ...(creds ? ['--creds', creds] : [])]), ...args.slice(1)];
  const { stdout } = await promisify(execFile)('skopeo', argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return stdout;
}
