// Registry authentication (distribution spec "token" and "basic"): a request
// answered 401 carries WWW-Authenticate (RFC 7235). Basic: send the credentials.
// Bearer realm=..,service=..,scope=..: GET realm?service=..&scope=.. (with basic
// credentials when we have them, anonymous otherwise) and send the returned
// token (distribution docs/spec/auth/token.md).

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses one challenge: scheme, then comma-separated key=value or key="quoted value". */
export function parseChallenge(header: string): Challenge | null {
  const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null) {
    if (p[0] === '') break;
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
