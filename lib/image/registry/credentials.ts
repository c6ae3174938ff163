// Registry credentials as the docker CLI keeps them ($DOCKER_CONFIG or
// ~/.docker/config.json): "auths" with base64 user:password, or a credential
// helper named by "credHelpers" (per registry) or "credsStore" (for all): the
// program docker-credential-<name>, given the server on stdin to its `get`
// command, answers {"Username","Secret"} (docker-credential-helpers protocol).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Credentials {
  username: string;
  password: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** docker.io's credentials live under its historical index address. */
const keysFor = (domain: string) => (domain === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'] : [domain, `https://${domain}`, `http://${domain}`]);

export function configPath(): string {
  return path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'), 'config.json');
}

function helper(name: string, server: string): Credentials | null {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return null;
  try {
    const out = execFileSync(`docker-credential-${name}`, ['get'], { input: server, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'], timeout: 30_000 });
    const j = JSON.parse(out) as { Username?: string; Secret?: string };
    if (typeof j.Username === 'string' && typeof j.Secret === 'string') return { username: j.Username, password: j.Secret };
  } catch {
    /* no credentials in the helper, or no helper: anonymous */
  }
  return null;
}

export function lookupCredentials(domain: string, file = configPath()): Credentials | null {
  let cfg: DockerConfig;
  try {
    cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as DockerConfig;
  } catch {
    return null;
  }
  const keys = keysFor(domain);
  for (const k of keys) {
    const h = cfg.credHelpers?.[k];
    if (h) return helper(h, k);
  }
  for (const k of keys) {
    const a = cfg.auths?.[k];
    if (!a) continue;
    if (a.auth) {
      const text = Buffer.from(a.auth, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
    }
    if (a.username && a.password) return { username: a.username, password: a.password };
  }
  if (cfg.credsStore) return helper(cfg.credsStore, keys[0]);
  return null;
}
