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
// Layout: bytes 0-3 "BHL1", byte 4 the half in use (0 or 1); each half at
// HALF_OFFSET + n * HALF_SIZE: a u32 length, then the JSON. The file is sparse:
// only what was written takes blocks.
import * as fs from 'node:fs';

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
    const head = Buffer.alloc(5);
    if (fs.readSync(fd, head, 0, 5, 0) !== 5 || !head.subarray(0, 4).equals(MAGIC) || head[4] > 1) return undefined;
    const at = HALF_OFFSET + head[4] * HALF_SIZE;
    const len = Buffer.alloc(4);
    if (fs.readSync(fd, len, 0, 4, at) !== 4) return undefined;
    const n = len.readUInt32LE(0);
    if (n === 0 || n > HALF_SIZE - 4) return undefined;
    const body = Buffer.alloc(n);
    if (fs.readSync(fd, body, 0, n, at + 4) !== n) return undefined;
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function writeLeases(file: string, value: unknown): void {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  if (json.length > HALF_SIZE - 4) throw new RangeError(`${file}: the endpoints' record is over ${HALF_SIZE - 4} bytes`);
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    const head = Buffer.alloc(5);
    const valid = fs.readSync(fd, head, 0, 5, 0) === 5 && head.subarray(0, 4).equals(MAGIC) && head[4] <= 1;
    const next = valid ? 1 - head[4] : 0;
    const at = HALF_OFFSET + next * HALF_SIZE;
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length, 0);
    // Length and JSON first, in the half nobody reads; then the switch.
    fs.writeSync(fd, Buffer.concat([len, json]), 0, 4 + json.length, at);
    if (!valid) fs.writeSync(fd, MAGIC, 0, 4, 0);
    fs.writeSync(fd, Buffer.from([next]), 0, 1, 4);
  } finally {
    fs.closeSync(fd);
  }
}
