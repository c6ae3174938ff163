// A network's endpoints (address leases) on disk without a rename or an fsync
// per change: <name>.leases holds two halves and a one-byte switch. A change
// writes the JSON into the half not in use (pwrite), then flips the switch
// (a one-byte pwrite): a SIGKILL at any point leaves the switch on a half
// that was written whole (a write(2) into the page cache within one page is
// done entirely or not at all, and each step's bytes are in the kernel's page
// cache once the call returns). No fsync: a lease means something only while
// its owner process lives, and a power loss ends every owner, so whatever a
// power loss leaves (even an unreadable file) is read as no lease at all.
// Done under the networks lock, as every other change.
//
// Readers outside the lock (the embedded DNS) may meet a writer reusing the
// half they are reading (two changes in between): each half carries a digest
// of its JSON, and a read that does not match is a torn one, read again.
//
// Layout: bytes 0-3 "BHL1", byte 4 the half in use (0 or 1); each half at
// HALF_OFFSET + n * HALF_SIZE: a u32 length, 8 bytes of the JSON's SHA-256,
// then the JSON. The file is sparse: only what was written takes blocks.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest().subarray(0, 8);
const HEAD = 12;
const TRIES = 100;

const MAGIC = Buffer.from('BHL1');
const HALF_OFFSET = 4096;
/** 16 MiB a half: about 60,000 endpoints. */
export const HALF_SIZE = 16 * 1024 * 1024;

export function readLeases<T>(file: string): T | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    for (let i = 0; i < TRIES; i++) {
      const r = readOnce(fd);
      if (r === 'torn') continue;
      if (r === undefined) return undefined;
      try {
        return JSON.parse(r.toString('utf8')) as T;
      } catch {
        return undefined;
      }
    }
    // Never settled: unreadable, as after a power loss.
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function readOnce(fd: number): Buffer | undefined | 'torn' {
  const head = Buffer.alloc(5);
  if (fs.readSync(fd, head, 0, 5, 0) !== 5 || !head.subarray(0, 4).equals(MAGIC) || head[4] > 1) return undefined;
  const at = HALF_OFFSET + head[4] * HALF_SIZE;
  const h = Buffer.alloc(HEAD);
  if (fs.readSync(fd, h, 0, HEAD, at) !== HEAD) return 'torn';
  const n = h.readUInt32LE(0);
  if (n === 0 || n > HALF_SIZE - HEAD) return 'torn';
  const body = Buffer.alloc(n);
  if (fs.readSync(fd, body, 0, n, at + HEAD) !== n) return 'torn';
  return digest(body).equals(h.subarray(4, HEAD)) ? body : 'torn';
}

export function writeLeases(file: string, value: unknown): void {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  if (json.length > HALF_SIZE - HEAD) throw new RangeError(`${file}: the endpoints' record is over ${HALF_SIZE - HEAD} bytes`);
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    const head = Buffer.alloc(5);
    const valid = fs.readSync(fd, head, 0, 5, 0) === 5 && head.subarray(0, 4).equals(MAGIC) && head[4] <= 1;
    const next = valid ? 1 - head[4] : 0;
    const at = HALF_OFFSET + next * HALF_SIZE;
    const h = Buffer.alloc(HEAD);
    h.writeUInt32LE(json.length, 0);
    digest(json).copy(h, 4);
    // Length, digest and JSON first, in the half not in use; then the switch.
    fs.writeSync(fd, Buffer.concat([h, json]), 0, HEAD + json.length, at);
    if (!valid) fs.writeSync(fd, MAGIC, 0, 4, 0);
    fs.writeSync(fd, Buffer.from([next]), 0, 1, 4);
  } finally {
    fs.closeSync(fd);
  }
}
