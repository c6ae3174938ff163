// The API socket: never two daemons on one path (a live listener is refused, a
// stale socket file removed), created under umask 0177 so that no moment
// exists where others could connect, then chown root:GROUP and chmod 0660
// (unix(7): connecting needs write permission on the socket file).
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Server } from 'node:http';

export function gidOf(group: string): number | null {
  if (/^\d+$/.test(group)) return Number(group);
  try {
    for (const line of fs.readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , gid] = line.split(':');
      if (name === group) return Number(gid);
    }
  } catch {
    // No /etc/group: no group.
  }
  return null;
}

function listening(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(p);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function listenUnix(server: Server, p: string, gid: number | null): Promise<void> {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st) {
    if (!st.isSocket()) throw new Error(`${p} exists and is not a socket: refusing to replace it`);
    if (await listening(p)) throw new Error(`another daemon is listening on ${p}`);
    fs.unlinkSync(p);
  }
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(old);
  }
  fs.chownSync(p, 0, gid ?? 0);
  fs.chmodSync(p, 0o660);
}
