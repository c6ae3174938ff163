// tar-stream decodes PAX records as UTF-8, which mangles binary xattr values
// (SCHILY.xattr.security.capability holds raw bytes such as 0x80). Its extract
// looks the decoder up on its headers module at each call, so we give that module
// a decoder that keeps SCHILY.xattr.* values as latin1 strings (one char per
// byte, so Buffer.from(v, 'latin1') gives the bytes back) and everything else
// UTF-8. Record format: "<len> <key>=<value>\n", len counting the whole record
// in bytes (POSIX.1-2008 pax, "pax Extended Header").
import * as path from 'node:path';

let patched = false;

export function decodePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(buf.toString('latin1', off, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || off + len > buf.length) break;
    const rec = buf.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) break;
    const key = rec.toString('utf8', 0, eq);
    out[key] = rec.toString(key.startsWith('SCHILY.xattr.') ? 'latin1' : 'utf8', eq + 1);
    off += len;
  }
  return out;
}

export function patchTarStream(): void {
  if (patched) return;
  const dir = path.dirname(require.resolve('tar-stream'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const headers = require(path.join(dir, 'headers.js')) as { decodePax: (b: Buffer) => Record<string, string> };
  headers.decodePax = decodePax;
  patched = true;
}
