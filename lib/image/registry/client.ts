// An OCI distribution client (distribution-spec spec.md) over Node's fetch:
// auth from the WWW-Authenticate challenge, retries with backoff on 5xx and
// connection resets (idempotent requests only), redirects followed (blob storage;
// fetch drops Authorization across origins, Fetch standard "HTTP-redirect fetch").
// Plain HTTP only for loopback registries or when asked (insecure).
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageError } from '../errors';
import { basicHeader, parseChallenge } from './auth';
import { lookupCredentials, type Credentials } from './credentials';

export interface ClientOptions {
  /** Allow plain HTTP to a non-loopback registry. */
  insecure?: boolean;
  credentials?: Credentials | null;
  signal?: AbortSignal;
  /** Named in errors. */
  image?: string;
  retries?: number;
}

export function isLoopback(domain: string): boolean {
  const host = domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | Uint8Array | ReadableStream | null;
  /** push: scope actions are pull,push. */
  actions?: 'pull' | 'pull,push';
  /** Statuses that are answers, not errors (default 2xx). */
  ok?: number[];
  redirect?: 'follow' | 'manual';
  /** A body that cannot be replayed: no retries. */
  once?: boolean;
}

export class RegistryClient {
  readonly base: string;
  private readonly tokens = new Map<string, string>();
  private basic: string | null = null;
  private readonly creds: Credentials | null;
  private readonly image: string;

  constructor(
    readonly domain: string,
    private readonly opts: ClientOptions = {},
  ) {
    const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
    // As dockerd's insecure-registries: BULKHEAD_INSECURE_REGISTRIES=host:port,... asks for plain HTTP.
    const asked = (process.env.BULKHEAD_INSECURE_REGISTRIES ?? '').split(',').map((h) => h.trim()).includes(domain);
    this.base = `${isLoopback(domain) || opts.insecure || asked ? 'http' : 'https'}://${host}`;
    this.creds = opts.credentials !== undefined ? opts.credentials : lookupCredentials(domain);
    this.image = opts.image ?? domain;
  }

  private err(code: ConstructorParameters<typeof ImageError>[0], msg: string, digest?: string): ImageError {
    return new ImageError(code, `${this.image}: ${msg}`, this.image, digest);
  }

  private authHeader(scope: string): string | undefined {
    return this.tokens.get(scope) ?? this.basic ?? undefined;
  }

  /** Answers a 401 challenge; false when there is nothing more to try. */
  private async authenticate(header: string | null, scope: string): Promise<boolean> {
    const ch = header ? parseChallenge(header) : null;
    if (!ch) return false;
    if (ch.scheme === 'basic') {
      if (!this.creds || this.basic) return false;
      this.basic = basicHeader(this.creds.username, this.creds.password);
      return true;
    }
    if (ch.scheme !== 'bearer' || !ch.params.realm || this.tokens.has(scope)) return false;
    const url = new URL(ch.params.realm);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (isLoopback(url.host) || this.opts.insecure))) {
      throw this.err('EAUTH', `token realm ${url.origin} is not https`);
    }
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (this.creds) headers.authorization = basicHeader(this.creds.username, this.creds.password);
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: this.opts.signal });
    } catch (err) {
      throw this.abortOr(err, `token server ${url.origin}: ${causeOf(err)}`);
    }
    if (res.status === 401 || res.status === 403) throw this.err('EAUTH', `token server ${url.origin} refused ${this.creds ? `the credentials of ${this.creds.username}` : 'anonymous access'} (${res.status})`);
    if (!res.ok) throw this.err('EREGISTRY', `token server ${url.origin} answered ${res.status}`);
    let body: { token?: string; access_token?: string };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw this.err('EREGISTRY', `token server ${url.origin} answered garbage`);
    }
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || !token) throw this.err('EREGISTRY', `token server ${url.origin} gave no token`);
    this.tokens.set(scope, `Bearer ${token}`);
    return true;
  }

  private abortOr(err: unknown, msg: string): ImageError {
    if (this.opts.signal?.aborted || (err as Error)?.name === 'AbortError') return this.err('EABORTED', 'cancelled');
    return this.err('EREGISTRY', msg);
  }

  /** A request to /v2/<path>, authenticated and retried; returns the response for the caller to consume. */
  async request(repo: string, pathOrUrl: string, o: RequestOptions = {}): Promise<Response> {
    const scope = `repository:${repo}:${o.actions ?? 'pull'}`;
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${this.base}/v2/${pathOrUrl}`;
    const retries = o.once ? 0 : this.opts.retries ?? 3;
    let authTried = 0;
    for (let attempt = 0; ; ) {
      const headers: Record<string, string> = { ...o.headers };
      const auth = this.authHeader(scope);
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        res = await fetch(url, { method: o.method ?? 'GET', headers, body: o.body as never, redirect: o.redirect ?? 'follow', signal: this.opts.signal, ...(o.body ? { duplex: 'half' } : {}) } as RequestInit);
      } catch (err) {
        if (this.opts.signal?.aborted) throw this.err('EABORTED', 'cancelled');
        if (attempt < retries) {
          await sleep(200 * 2 ** attempt++, undefined, { signal: this.opts.signal }).catch(() => undefined);
          continue;
        }
        throw this.abortOr(err, `${new URL(url).host}: ${causeOf(err)}`);
      }
      if (res.status === 401 && authTried < 2) {
        await res.body?.cancel();
        authTried++;
        if (await this.authenticate(res.headers.get('www-authenticate'), scope)) continue;
        throw this.err('EAUTH', `${this.domain} requires authentication${this.creds ? ` and refused the credentials of ${this.creds.username}` : ' (docker login, or credentials in ~/.docker/config.json)'}`);
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw this.err('EAUTH', `${this.domain} denied access to ${repo} (${res.status})`);
      }
      if (res.status >= 500 && attempt < retries) {
        await res.body?.cancel();
        await sleep(200 * 2 ** attempt++, undefined, { signal: this.opts.signal }).catch(() => undefined);
        continue;
      }
      if (res.ok || (o.ok ?? []).includes(res.status)) return res;
      const text = await res.text().catch(() => '');
      let detail = '';
      try {
        const j = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
        detail = (j.errors ?? []).map((e) => `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`).join('; ');
      } catch {
        /* not the spec's error body */
      }
      if (res.status === 404) throw this.err('ENOTFOUND', `not found in ${this.domain}${detail ? ` (${detail})` : ''}`);
      throw this.err('EREGISTRY', `${this.domain} answered ${res.status} ${res.statusText}${detail ? ` (${detail})` : ''}`);
    }
  }
}

function causeOf(err: unknown): string {
  const c = (err as { cause?: { code?: string; message?: string } })?.cause;
  return c?.code ?? c?.message ?? (err as Error)?.message ?? String(err);
}
