// A small method + path router: patterns like "/containers/{id}/json", where a
// parameter takes one path segment, or the rest of the path when written
// "{name*}" (image names hold slashes: /images/library/busybox:1/json).
export interface Route<H> {
  method: string;
  re: RegExp;
  keys: string[];
  handler: H;
}

export class Router<H> {
  private readonly routes: Array<Route<H>> = [];

  add(method: string, pattern: string, handler: H): this {
    const keys: string[] = [];
    const src = pattern.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\*?)\}/g, (_m, k: string, rest: string) => {
      keys.push(k);
      return rest ? '(.+?)' : '([^/]+)';
    });
    this.routes.push({ method, re: new RegExp(`^${src}/?$`), keys, handler });
    return this;
  }

  /** The handler and its parameters, or why none: 404 (no such path) or 405 (path known, not the method). */
  match(method: string, path: string): { handler: H; params: Record<string, string> } | { miss: 404 | 405 } {
    let known = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      known = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1]!);
      });
      return { handler: r.handler, params };
    }
    return { miss: known ? 405 : 404 };
  }
}
