// The few /proc/sys/net switches a bridge network needs (ip-sysctl.rst).
import * as fs from 'node:fs';

export function readSysctl(key: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function writeSysctl(key: string, value: string): void {
  fs.writeFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, value);
}

/** Per-interface keys: the name may hold dots, so the path is built directly. */
export function writeIfSysctl(ifname: string, key: string, value: string): void {
  fs.writeFileSync(`/proc/sys/net/ipv4/conf/${ifname}/${key}`, value);
}
