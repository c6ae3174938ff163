// docker run -p: [IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|udp], and --expose.
import { parseIp } from '../ipam/cidr';

export interface PortRequest {
  hostIp: string;
  /** undefined: a free port is chosen. */
  hostPort?: number;
  containerPort: number;
  proto: 'tcp' | 'udp';
}

function port(flag: string, spec: string, s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new RangeError(`${flag} ${spec}: port ${JSON.stringify(s)} must be 1 to 65535`);
  return n;
}

function range(flag: string, spec: string, s: string): [number, number] {
  const [a, b] = s.split('-');
  const lo = port(flag, spec, a);
  const hi = b === undefined ? lo : port(flag, spec, b);
  if (hi < lo) throw new RangeError(`${flag} ${spec}: port range ${s} is backwards`);
  return [lo, hi];
}

export function parsePublish(spec: string, flag = '-p'): PortRequest[] {
  let rest = spec;
  let proto: 'tcp' | 'udp' = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp') throw new RangeError(`${flag} ${spec}: protocol ${JSON.stringify(p)} must be tcp or udp`);
    proto = p;
    rest = rest.slice(0, slash);
  }
  const parts = rest.split(':');
  if (parts.length > 3) throw new RangeError(`${flag} ${spec}: expected [IP:][HOST_PORT:]CONTAINER_PORT`);
  const cont = parts[parts.length - 1];
  const host = parts.length >= 2 ? parts[parts.length - 2] : '';
  const ip = parts.length === 3 ? parts[0] : '';
  if (ip && parseIp(ip) === undefined) throw new RangeError(`${flag} ${spec}: host address ${JSON.stringify(ip)} is not an IPv4 address`);
  const [c0, c1] = range(flag, spec, cont);
  if (!host) {
    const out: PortRequest[] = [];
    for (let c = c0; c <= c1; c++) out.push({ hostIp: ip, containerPort: c, proto });
    return out;
  }
  const [h0, h1] = range(flag, spec, host);
  if (h1 - h0 !== c1 - c0) throw new RangeError(`${flag} ${spec}: host range ${host} and container range ${cont} differ in length`);
  const out: PortRequest[] = [];
  for (let i = 0; i <= c1 - c0; i++) out.push({ hostIp: ip, hostPort: h0 + i, containerPort: c0 + i, proto });
  return out;
}

