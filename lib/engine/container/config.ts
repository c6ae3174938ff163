// A container's configuration in Docker's own field names (the Engine API's
// ContainerConfig and HostConfig), validated before anything is created. The
// root filesystem comes from `Rootfs` (a directory) until images exist; `Image`
// is reserved for the image store and goes through the RootfsSource seam.
import * as os from 'node:os';
import { invalid } from '../../util/engine-error';
import { sysctlRefusal } from '../../spawn/sysctl';
import { DOMAINNAME } from '../../spawn/options';
import { checkResolvConf } from '../../network/dns/files';
import { checkMac } from '../../network/links/mac';
import { RESOURCE_KEYS, validateResources, type ResourceFields } from './resources';
import { dnsOf, extraHostsOf, portRequests, type EndpointConfig, type PortBindingConfig } from '../network/config';
import { isObj } from '../../util/is-obj';
import { shown } from '../../util/shown';
import { applyTmpfsOption, type TmpfsFlags } from '../../spawn/tmpfs-options';

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface LogConfig {
  Type: 'json-file';
  Config?: { 'max-size'?: string; 'max-file'?: string };
}

/** The engine's HostConfig; the resource fields (Memory, Ulimits, Devices, ...) are ./resources.ts's. */
export interface HostConfig extends ResourceFields {
  Binds?: string[];
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  /** none, host, default (the engine's default network), bridge, a network's name or id, or container:<name or id>. */
  NetworkMode?: string;
  /** Published ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] } (HostPort "" chooses a free port). */
  PortBindings?: Record<string, PortBindingConfig[] | null>;
  /** Every ExposedPorts entry on a free host port (docker run -P). */
  PublishAllPorts?: boolean;
  /** "host:ip" lines added to /etc/hosts. */
  ExtraHosts?: string[];
  /** resolv.conf's search domains (docker run --dns-search). */
  DnsSearch?: string[];
  /** resolv.conf's options (docker run --dns-option). */
  DnsOptions?: string[];
  /** The container's nameservers (on user-defined networks the embedded DNS forwards to them). */
  Dns?: string[];
  LogConfig?: LogConfig;
  ReadonlyRootfs?: boolean;
  Init?: boolean;
  /** Kernel parameters of the container's own namespaces (docker run --sysctl). */
  Sysctls?: Record<string, string>;
  /** The program's oom_score_adj, -1000 to 1000 (docker run --oom-score-adj). */
  OomScoreAdj?: number;
  CapAdd?: string[];
  CapDrop?: string[];
  /** tmpfs mounts: { "/path": "size=64m,mode=1777" } (see parseTmpfsOptions: noexec, nosuid, nodev unless exec). */
  Tmpfs?: Record<string, string>;
  /** seccomp=unconfined | seccomp=<profile JSON>, no-new-privileges[=true|false] (also with ':' as Docker's old form). */
  SecurityOpt?: string[];
  /** The terminal's [rows, columns] for a Tty container, set before the program starts (0, 0: the pty's default). */
  ConsoleSize?: [number, number];
}

export interface ContainerConfig {
  /** A root filesystem directory (until the image store exists). */
  Rootfs?: string;
  /** Reserved for images (lib/image): rejected until a RootfsSource for it is plugged in. */
  Image?: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  /** The UTS namespace's domain name (docker run --domainname). */
  Domainname?: string;
  /** The Ethernet address of the interface on NetworkMode's network (docker run --mac-address). */
  MacAddress?: string;
  Labels?: Record<string, string>;
  Tty?: boolean;
  OpenStdin?: boolean;
  /** Close the container's stdin when the attached client's input ends (docker run -i). */
  StdinOnce?: boolean;
  StopSignal?: string;
  StopTimeout?: number;
  /** Anonymous volumes: { "/data": {} } gives /data a new volume of its own. */
  Volumes?: Record<string, object>;
  /** Ports the container offers: { "80/tcp": {} } (published by PublishAllPorts). */
  ExposedPorts?: Record<string, object>;
  HostConfig?: HostConfig;
  /** The network of NetworkMode's own endpoint settings: { EndpointsConfig: { name: { Aliases, IPAMConfig: { IPv4Address } } } }. */
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointConfig> | null };
}

const CONFIG_KEYS = ['Rootfs', 'Image', 'Cmd', 'Entrypoint', 'Env', 'WorkingDir', 'User', 'Hostname', 'Domainname', 'MacAddress', 'Labels', 'Tty', 'OpenStdin', 'StdinOnce', 'StopSignal', 'StopTimeout', 'Volumes', 'ExposedPorts', 'HostConfig', 'NetworkingConfig'];
const HOST_KEYS = ['Binds', 'RestartPolicy', 'AutoRemove', 'NetworkMode', 'PortBindings', 'PublishAllPorts', 'ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions', 'LogConfig', 'Memory', 'NanoCpus', 'PidsLimit', 'ReadonlyRootfs', 'Init', 'CapAdd', 'CapDrop', 'Tmpfs', 'SecurityOpt', 'ConsoleSize', 'Sysctls', 'OomScoreAdj', ...RESOURCE_KEYS];


function want(field: string, what: string, v: unknown): never {
  throw invalid(`invalid ${field}: must be ${what}, got ${shown(v)}`);
}
function strings(field: string, v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) want(field, 'an array of strings', v);
}
function str(field: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'string') want(field, 'a string', v);
}
function bool(field: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') want(field, 'a boolean', v);
}
function int(field: string, v: unknown, min = 0): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) want(field, `an integer >= ${min}`, v);
}

/** Docker's "max-size" for json-file: a number with an optional k, m or g suffix. */
export function parseLogSize(v: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(v.trim());
  if (!m) throw invalid(`invalid max-size: ${shown(v)}: use a number with an optional k, m or g`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
}

export function parseRestartPolicy(v: string): RestartPolicy {
  const [name, count, extra] = v.split(':');
  if (extra !== undefined) throw invalid(`invalid restart policy format: ${v}`);
  if (name === 'on-failure') {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0) throw invalid(`maximum retry count must be a positive integer: ${count}`);
    return { Name: 'on-failure', MaximumRetryCount: n };
  }
  if (count !== undefined) throw invalid(`maximum retry count cannot be used with restart policy '${name}'`);
  if (name === 'no' || name === 'always' || name === 'unless-stopped' || name === '') return { Name: name };
  throw invalid(`invalid restart policy '${name}'`);
}

export function signalNumber(name: string): number | undefined {
  const n = /^\d+$/.test(name) ? Number(name) : (os.constants.signals as Record<string, number>)[name.startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`];
  return n !== undefined && n > 0 && n < 65 ? n : undefined;
}

/** Checks every field's type and value; throws EngineError INVALID_PARAMETER naming the first bad one. */
export function validateConfig(config: unknown): ContainerConfig {
  if (!isObj(config)) want('config', 'an object', config);
  for (const k of Object.keys(config)) if (!CONFIG_KEYS.includes(k)) throw invalid(`invalid config: unknown field ${shown(k)}`);
  const c = config as ContainerConfig;
  str('Rootfs', c.Rootfs);
  str('Image', c.Image);
  // Image alone: the engine's RootfsSource decides at create whether it can give that image's root (DirectoryRootfs cannot).
  if (c.Rootfs === undefined && c.Image === undefined) throw invalid('invalid config: Rootfs (a root filesystem directory) is required');
  if (c.Rootfs !== undefined && !c.Rootfs.startsWith('/')) want('Rootfs', 'an absolute path', c.Rootfs);
  strings('Cmd', c.Cmd);
  strings('Entrypoint', c.Entrypoint);
  if ((c.Cmd?.length ?? 0) + (c.Entrypoint?.length ?? 0) === 0) throw invalid('No command specified');
  strings('Env', c.Env);
  for (const e of c.Env ?? []) if (!/^[^=\0]+=/.test(e) || e.includes('\0')) want('Env', 'entries of the form NAME=value', e);
  str('WorkingDir', c.WorkingDir);
  if (c.WorkingDir !== undefined && c.WorkingDir !== '' && !c.WorkingDir.startsWith('/')) throw invalid(`the working directory '${c.WorkingDir}' is invalid. It needs to be an absolute path`);
  str('User', c.User);
  if (c.User !== undefined && c.User !== '' && !/^(root|\d+)(:\d+)?$/.test(c.User)) want('User', 'root or a numeric uid[:gid]', c.User);
  str('Hostname', c.Hostname);
  str('Domainname', c.Domainname);
  if (c.Domainname && !DOMAINNAME.test(c.Domainname)) throw invalid(`invalid domainname ${shown(c.Domainname)}: 1 to 64 letters, digits, dots, dashes or underscores`);
  str('MacAddress', c.MacAddress);
  if (c.MacAddress) {
    try {
      checkMac(c.MacAddress, 'MacAddress');
    } catch (err) {
      throw invalid((err as Error).message);
    }
    // dockerd's runconfig: no interface of its own to give the address to.
    const mode = c.HostConfig?.NetworkMode;
    if (mode === 'host' || mode === 'none' || mode?.startsWith('container:')) throw invalid('conflicting options: mac-address and the network mode');
  }
  if (c.Labels !== undefined) {
    if (!isObj(c.Labels)) want('Labels', 'an object of strings', c.Labels);
    for (const [k, v] of Object.entries(c.Labels)) if (typeof v !== 'string') want(`Labels.${k}`, 'a string', v);
  }
  bool('Tty', c.Tty);
  bool('OpenStdin', c.OpenStdin);
  bool('StdinOnce', c.StdinOnce);
  str('StopSignal', c.StopSignal);
  if (c.StopSignal !== undefined && signalNumber(c.StopSignal) === undefined) throw invalid(`Invalid signal: ${c.StopSignal}`);
  int('StopTimeout', c.StopTimeout, -1);
  if (c.Volumes !== undefined) {
    if (!isObj(c.Volumes)) want('Volumes', 'an object { "/path": {} }', c.Volumes);
    for (const p of Object.keys(c.Volumes)) if (!p.startsWith('/')) want(`Volumes`, 'absolute paths as keys', p);
  }
  const h = c.HostConfig as HostConfig | undefined;
  if (h !== undefined) {
    if (!isObj(h as unknown)) want('HostConfig', 'an object', h);
    for (const k of Object.keys(h)) if (!HOST_KEYS.includes(k)) throw invalid(`invalid HostConfig: unknown field ${shown(k)}`);
    strings('HostConfig.Binds', h.Binds);
    if (h.RestartPolicy !== undefined) {
      if (!isObj(h.RestartPolicy)) want('HostConfig.RestartPolicy', 'an object { Name, MaximumRetryCount }', h.RestartPolicy);
      const rp = h.RestartPolicy;
      if (!['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(rp.Name as string)) throw invalid(`invalid restart policy '${String(rp.Name)}'`);
      int('HostConfig.RestartPolicy.MaximumRetryCount', rp.MaximumRetryCount);
      if (rp.Name !== 'on-failure' && ((rp.MaximumRetryCount as number | undefined) ?? 0) > 0) throw invalid(`maximum retry count cannot be used with restart policy '${rp.Name}'`);
    }
    bool('HostConfig.AutoRemove', h.AutoRemove);
    if (h.AutoRemove && h.RestartPolicy && !['', 'no'].includes(h.RestartPolicy.Name)) throw invalid('can\'t create \'AutoRemove\' container with restart policy');
    if (h.NetworkMode !== undefined && typeof h.NetworkMode !== 'string') want('HostConfig.NetworkMode', 'a string', h.NetworkMode);
    if (h.NetworkMode?.startsWith('container:')) {
      // Another container's network namespace (docker run --network container:x):
      // its interfaces, names and ports are that container's, so none of these may be set (dockerd's messages).
      if (h.NetworkMode === 'container:') want('HostConfig.NetworkMode', 'container:<name or id>', h.NetworkMode);
      if (Object.values(h.PortBindings ?? {}).some((l) => (l ?? []).length > 0) || h.PublishAllPorts) throw invalid('conflicting options: port publishing and the container type network mode');
      if (h.ExtraHosts?.length) throw invalid('conflicting options: custom host-to-IP mapping and the network mode');
      if (h.Dns?.length || h.DnsSearch?.length || h.DnsOptions?.length) throw invalid('conflicting options: dns and the network mode');
      if (c.Hostname) throw invalid('conflicting options: hostname and the network mode');
    }
    if (h.PortBindings !== undefined && h.PortBindings !== null && !isObj(h.PortBindings)) want('HostConfig.PortBindings', 'an object { "80/tcp": [{ HostIp, HostPort }] }', h.PortBindings);
    bool('HostConfig.PublishAllPorts', h.PublishAllPorts);
    strings('HostConfig.ExtraHosts', h.ExtraHosts);
    strings('HostConfig.Dns', h.Dns);
    portRequests(h.PortBindings ?? undefined, c.ExposedPorts, h.PublishAllPorts ?? false);
    extraHostsOf(h.ExtraHosts);
    dnsOf(h.Dns);
    strings('HostConfig.DnsSearch', h.DnsSearch);
    strings('HostConfig.DnsOptions', h.DnsOptions);
    if ((h.NetworkMode === 'none' || h.NetworkMode === 'host') && [h.Dns, h.DnsSearch, h.DnsOptions].some((l) => l?.length)) {
      // resolv.conf is written for a network's endpoint only: these would be dropped.
      throw invalid(`HostConfig.Dns, DnsSearch and DnsOptions need a network (NetworkMode ${h.NetworkMode} keeps the image's /etc/resolv.conf here)`);
    }
    try {
      checkResolvConf(h.DnsSearch ?? [], h.DnsOptions ?? []);
    } catch (err) {
      throw invalid((err as Error).message);
    }
    if (h.LogConfig !== undefined) {
      if (!isObj(h.LogConfig) || h.LogConfig.Type !== 'json-file') want('HostConfig.LogConfig', '{ Type: "json-file", Config }', h.LogConfig);
      const lc = (h.LogConfig.Config ?? {}) as Record<string, unknown>;
      if (!isObj(lc)) want('HostConfig.LogConfig.Config', 'an object', lc);
      for (const k of Object.keys(lc)) if (k !== 'max-size' && k !== 'max-file') throw invalid(`unknown log opt '${k}' for json-file log driver`);
      if (lc['max-size'] !== undefined) parseLogSize(String(lc['max-size']));
      if (lc['max-file'] !== undefined && !/^[1-9]\d*$/.test(String(lc['max-file']))) throw invalid(`invalid value for max-file: ${shown(lc['max-file'])}`);
      if (lc['max-file'] !== undefined && Number(lc['max-file']) > 1 && lc['max-size'] === undefined) throw invalid('max-file cannot be set without max-size');
    }
    int('HostConfig.Memory', h.Memory);
    if (h.Memory !== undefined && h.Memory > 0 && h.Memory < 6 * 1024 * 1024) throw invalid('Minimum memory limit allowed is 6MB');
    int('HostConfig.NanoCpus', h.NanoCpus);
    int('HostConfig.PidsLimit', h.PidsLimit, -1);
    bool('HostConfig.ReadonlyRootfs', h.ReadonlyRootfs);
    bool('HostConfig.Init', h.Init);
    strings('HostConfig.CapAdd', h.CapAdd);
    strings('HostConfig.CapDrop', h.CapDrop);
    if (h.Tmpfs !== undefined) {
      if (!isObj(h.Tmpfs)) want('HostConfig.Tmpfs', 'an object { "/path": "options" }', h.Tmpfs);
      for (const [p, o] of Object.entries(h.Tmpfs)) {
        if (!p.startsWith('/')) want('HostConfig.Tmpfs', 'absolute paths as keys', p);
        if (typeof o !== 'string') want(`HostConfig.Tmpfs.${p}`, 'a string of options', o);
        parseTmpfsOptions(p, o);
      }
    }
    if (h.ConsoleSize !== undefined && (!Array.isArray(h.ConsoleSize) || h.ConsoleSize.length !== 2 || h.ConsoleSize.some((n) => !Number.isInteger(n) || n < 0 || n > 65535))) {
      want('HostConfig.ConsoleSize', '[rows, columns], integers from 0 to 65535', h.ConsoleSize);
    }
    strings('HostConfig.SecurityOpt', h.SecurityOpt);
    parseSecurityOpt(h.SecurityOpt ?? []);
    if (h.Sysctls !== undefined) {
      if (!isObj(h.Sysctls)) want('HostConfig.Sysctls', 'an object { "net.ipv4.ip_forward": "1" }', h.Sysctls);
      // The container has its own ipc and uts namespaces, and its own network
      // one unless NetworkMode is host; the engine always sets the hostname.
      const ns = { pid: true, mount: true, uts: true, ipc: true, net: h.NetworkMode !== 'host', cgroup: true, user: false, time: false };
      for (const [k, v] of Object.entries(h.Sysctls)) {
        if (typeof v !== 'string') want(`HostConfig.Sysctls.${k}`, 'a string', v);
        if (k === 'kernel.domainname' && c.Domainname) throw invalid(`sysctl 'kernel.domainname' conflicts with the container's domainname (--domainname)`);
        const why = sysctlRefusal(k, { ns, hostname: 'set' });
        if (why !== null) throw invalid(`sysctl '${k}' ${why.replace('namespaces.net', 'a network of its own (not --network host)').replace('the hostname option', 'the container\'s hostname (--hostname)')}`);
      }
    }
    validateResources(h);
    if (h.OomScoreAdj !== undefined && !(Number.isInteger(h.OomScoreAdj) && h.OomScoreAdj >= -1000 && h.OomScoreAdj <= 1000)) {
      throw invalid(`Invalid value ${shown(h.OomScoreAdj)}, range for oom score adj is [-1000, 1000]`);
    }
  }
  return c;
}

/** The stored form: defaults made explicit, as docker inspect shows them. */
export function normalizeConfig(c: ContainerConfig, id: string): { Config: ContainerConfig; HostConfig: Required<Pick<HostConfig, 'RestartPolicy' | 'AutoRemove' | 'NetworkMode' | 'LogConfig' | 'Binds'>> & HostConfig } {
  const h = c.HostConfig ?? {};
  const { HostConfig: _h, NetworkingConfig: _n, ...rest } = c;
  return {
    Config: {
      ...rest,
      Hostname: c.Hostname || id.slice(0, 12),
      Env: c.Env ?? [],
      Cmd: c.Cmd ?? [],
      Labels: { ...(c.Labels ?? {}) },
      Tty: c.Tty ?? false,
      OpenStdin: c.OpenStdin ?? false,
      WorkingDir: c.WorkingDir ?? '',
      User: c.User ?? '',
    },
    HostConfig: {
      ...h,
      Binds: h.Binds ?? [],
      RestartPolicy: { Name: h.RestartPolicy?.Name || 'no', MaximumRetryCount: h.RestartPolicy?.MaximumRetryCount ?? 0 },
      AutoRemove: h.AutoRemove ?? false,
      NetworkMode: h.NetworkMode ?? 'none',
      LogConfig: { Type: 'json-file', Config: { ...(h.LogConfig?.Config ?? {}) } },
    },
  };
}

/**
 * A tmpfs's options (HostConfig.Tmpfs, --tmpfs, --mount type=tmpfs), as spawn's
 * tmpfs mount takes them (size with k/m/g kept as given, octal mode). As
 * dockerd's (daemon/oci_linux.go): noexec, nosuid and nodev unless the options
 * say otherwise, a later option over an earlier one; suid and dev are refused
 * (spawn's tmpfs is always nosuid and nodev), as is anything else: never dropped.
 */
export function parseTmpfsOptions(target: string, opts: string): TmpfsFlags & { size?: string } {
  const out: TmpfsFlags & { size?: string } = { noexec: true };
  for (const o of opts.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [k, v] = o.split('=') as [string, string | undefined];
    if (k === 'size' && v && /^\d+[kmg]?$/i.test(v) && !/^0+[kmg]?$/i.test(v)) out.size = v;
    else if (!applyTmpfsOption(out, o)) throw invalid(`invalid tmpfs option ${shown(o)} for ${target}: supported are size=N[k|m|g], mode=OCTAL, ro, rw, exec, noexec, nosuid, nodev`);
  }
  if (!out.readonly) delete out.readonly;
  if (!out.noexec) delete out.noexec;
  return out;
}

/** SecurityOpt entries as spawn options. */
export function parseSecurityOpt(list: string[]): { seccomp?: false | object; noNewPrivileges?: boolean } {
  const out: { seccomp?: false | object; noNewPrivileges?: boolean } = {};
  for (const s of list) {
    const i = s.search(/[=:]/);
    const k = i < 0 ? s : s.slice(0, i);
    const v = i < 0 ? undefined : s.slice(i + 1);
    if (k === 'seccomp' && v === 'unconfined') out.seccomp = false;
    else if (k === 'seccomp' && v !== undefined && v.trim().startsWith('{')) {
      try {
        out.seccomp = JSON.parse(v) as object;
      } catch (err) {
        throw invalid(`invalid SecurityOpt ${shown(s.slice(0, 40))}: the seccomp profile is not JSON: ${(err as Error).message}`);
      }
    } else if (k === 'no-new-privileges' && (v === undefined || v === 'true' || v === 'false')) out.noNewPrivileges = v !== 'false';
    else throw invalid(`invalid SecurityOpt ${shown(s)}: supported are seccomp=unconfined, seccomp=<profile JSON> and no-new-privileges[=true|false]`);
  }
  return out;
}
