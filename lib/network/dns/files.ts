// The three files Docker writes per container and binds over /etc: hosts (with
// the container's own name, --add-host lines), resolv.conf and hostname. They
// live under <root>/run/endpoints/<id>/ and go with the endpoint.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataRoot } from '../state/files';
import { parseIp } from '../ipam/cidr';

export interface ContainerFiles {
  dir: string;
  hosts: string;
  resolvConf: string;
  hostname: string;
}

export interface FilesInput {
  id: string;
  hostname: string;
  /** The container's address on its network; none with --network none/host. */
  ip?: string;
  aliases?: string[];
  /** --add-host name:ip */
  extraHosts?: Array<{ host: string; ip: string }>;
  nameservers: string[];
  /** search domains (resolv.conf(5) "search"; --dns-search). */
  search?: string[];
  options?: string[];
}

export const endpointsDir = (): string => path.join(dataRoot(), 'run', 'endpoints');

/** The host's resolvers from /etc/resolv.conf (resolv.conf(5)). */
export function hostResolvers(file = '/etc/resolv.conf'): string[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((s): s is string => s !== undefined && parseIp(s) !== undefined);
}

/**
 * Resolvers a container can reach itself: loopback ones (systemd-resolved's
 * 127.0.0.53) answer only in the host's namespace, so Docker drops them and,
 * when nothing is left, falls back to Google's public resolvers (moby's
 * libnetwork/resolvconf). Bulkhead does the same.
 */
export function containerResolvers(host: string[]): string[] {
  const usable = host.filter((s) => !s.startsWith('127.'));
  return usable.length ? usable : ['8.8.8.8', '8.8.4.4'];
}

export function hostsText(i: FilesInput): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];
  for (const e of i.extraHosts ?? []) lines.push(`${e.ip}\t${e.host}`);
  if (i.ip) lines.push(`${i.ip}\t${[i.hostname, ...(i.aliases ?? [])].join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** resolv.conf(5)'s options: the defaults, each replaced by a given one of the same name (ndots:2 over ndots:0). */
export function mergeResolvOptions(defaults: readonly string[], given: readonly string[]): string[] {
  const key = (o: string) => o.split(':')[0];
  return [...defaults.filter((d) => !given.some((g) => key(g) === key(d))), ...given];
}

/** Checks --dns-search and --dns-option values (resolv.conf(5) takes one word each). */
export function checkResolvConf(search: readonly string[], options: readonly string[]): void {
  for (const s of search) if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(s) && s !== '.') throw new RangeError(`--dns-search ${JSON.stringify(s)} is not a domain name`);
  // resolv.conf(5): "search" takes at most six domains (glibc before 2.26 read only six).
  if (search.length > 6) throw new RangeError(`--dns-search: at most 6 domains, got ${search.length}`);
  for (const o of options) if (!/^[a-z][a-z0-9-]*(:[0-9]+)?$/.test(o)) throw new RangeError(`--dns-option ${JSON.stringify(o)} is not a resolv.conf option like ndots:2 or edns0`);
}

export function resolvText(i: FilesInput): string {
  return `${i.nameservers.map((s) => `nameserver ${s}`).join('\n')}\n${i.search?.length ? `search ${i.search.join(' ')}\n` : ''}${i.options?.length ? `options ${i.options.join(' ')}\n` : ''}`;
}

/** Writes a file unless it already holds exactly this text (a restarted container's files are usually unchanged). */
function writeIfChanged(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // Absent: written below.
  }
  fs.writeFileSync(file, text, { mode: 0o644 });
}

/** In `dir` when given (a container's own directory, kept by its owner), else in <root>/run/endpoints/<id>/, removed at release. */
export function writeContainerFiles(i: FilesInput, dir = path.join(endpointsDir(), i.id)): ContainerFiles {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const f = { dir, hosts: path.join(dir, 'hosts'), resolvConf: path.join(dir, 'resolv.conf'), hostname: path.join(dir, 'hostname') };
  writeIfChanged(f.hosts, hostsText(i));
  writeIfChanged(f.resolvConf, resolvText(i));
  writeIfChanged(f.hostname, `${i.hostname}\n`);
  return f;
}

export function removeContainerFiles(id: string): void {
  fs.rmSync(path.join(endpointsDir(), id), { recursive: true, force: true });
}

/** As Docker binds them: hosts and resolv.conf writable by the container, hostname too. */
export function fileMounts(f: ContainerFiles): Array<{ type: 'bind'; source: string; target: string; readonly: boolean }> {
  return [
    { type: 'bind', source: f.hosts, target: '/etc/hosts', readonly: false },
    { type: 'bind', source: f.resolvConf, target: '/etc/resolv.conf', readonly: false },
    { type: 'bind', source: f.hostname, target: '/etc/hostname', readonly: false },
  ];
}
