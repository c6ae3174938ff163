// tar-stream writes PAX records from JavaScript strings as UTF-8 and counts
// their length in characters, so a binary xattr value (security.capability
// holds raw bytes such as 0x80) comes out mangled. Its pack looks the encoder up
// on its headers module at each call (as its extract does the decoder, which
// lib/image/unpack/pax.ts replaces), so we give that module an encoder that
// writes SCHILY.xattr.* values given as latin1 strings (one char per byte) as
// those bytes, everything else as UTF-8, and counts each record in bytes
// (POSIX.1-2008 pax, "pax Extended Header": "<len> <key>=<value>\n", len the
// whole record's length in bytes).
import * as path from 'node:path';

let patched = false;

function record(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

export function encodePax(opts: { name?: string; linkname?: string; pax?: Record<string, string> }): Buffer {
  const out: Buffer[] = [];
  if (opts.name) out.push(record('path', Buffer.from(opts.name, 'utf8')));
  if (opts.linkname) out.push(record('linkpath', Buffer.from(opts.linkname, 'utf8')));
  for (const [k, v] of Object.entries(opts.pax ?? {})) out.push(record(k, Buffer.from(v, k.startsWith('SCHILY.xattr.') ? 'latin1' : 'utf8')));
  return Buffer.concat(out);
}

export function patchTarStreamEncode(): void {
  if (patched) return;
  const dir = path.dirname(require.resolve('tar-stream'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const headers = require(path.join(dir, 'headers.js')) as { encodePax: typeof encodePax };
  headers.encodePax = encodePax;
  patched = true;
}
