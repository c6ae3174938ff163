// Whether a host port is taken, and by whom: /proc/net/{tcp,udp}{,6} list every
// socket with its local address, state and inode; the process holding the inode
// is found among /proc/<pid>/fd links "socket:[inode]" (proc(5)).
import * as fs from 'node:fs';

export interface Holder {
  pid?: number;
  command?: string;
}

const TCP_LISTEN = '0A';

function sockets(proto: 'tcp' | 'udp'): Array<{ ip: string; port: number; inode: string }> {
  const out: Array<{ ip: string; port: number; inode: string }> = [];
  for (const v6 of [false, true]) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/net/${proto}${v6 ? '6' : ''}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (proto === 'tcp' && f[3] !== TCP_LISTEN) continue;
      const [hexIp, hexPort] = f[1].split(':');
      let ip: string;
      if (!v6) {
        // Little-endian on x86: the bytes of the address reversed.
        const n = parseInt(hexIp, 16);
        ip = [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
      } else {
        ip = /^0+$/.test(hexIp) ? '::' : hexIp === '0000000000000000FFFF0000' + hexIp.slice(24) ? 'v4mapped' : 'v6';
      }
      out.push({ ip, port: parseInt(hexPort, 16), inode: f[9] });
    }
  }
  return out;
}

function holderOf(inode: string): Holder {
  const want = `socket:[${inode}]`;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === want) {
          let command: string | undefined;
          try {
            command = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
          } catch {
            /* ended meanwhile */
          }
          return { pid: Number(pid), command };
        }
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return {};
}

/** The holder of a socket bound to port that conflicts with hostIp ('' = every address), or undefined when free. */
export function portHolder(hostIp: string, port: number, proto: 'tcp' | 'udp'): Holder | undefined {
  const hit = sockets(proto).find((s) => s.port === port && (hostIp === '' || s.ip === '0.0.0.0' || s.ip === '::' || s.ip === hostIp || s.ip === 'v4mapped'));
  return hit ? holderOf(hit.inode) : undefined;
}

export function describeHolder(h: Holder): string {
  return h.pid ? ` by ${h.command ?? 'process'} (pid ${h.pid})` : '';
}
