// POST /containers/create's body (Engine API ContainerConfig + HostConfig +
// NetworkingConfig) as the engine's ContainerConfig. What the engine supports
// is passed on; every other field must hold its zero value (the docker CLI
// sends them all), and a non-zero one is refused with 400 naming it: a
// setting is never dropped silently. The image gives Rootfs and its defaults.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerConfig, HostConfig } from '../engine/index';
import { RESOURCE_KEYS } from '../engine/container/resources';
import { HttpError } from './errors';
import { noSuchImage, type ImageSource } from './images';
import { isObj } from '../util/is-obj';
import { isZero } from '../util/zero';

const CONFIG_MAPPED = ['Hostname', 'Domainname', 'MacAddress', 'User', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Entrypoint', 'Image', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'StopTimeout', 'ExposedPorts', 'HostConfig', 'NetworkingConfig'];
// Informational or client-side fields whatever their value.
const CONFIG_IGNORED = ['AttachStdin', 'AttachStdout', 'AttachStderr', 'ArgsEscaped'];
const HOST_MAPPED = ['ConsoleSize', 'Binds', 'RestartPolicy', 'AutoRemove', 'NetworkMode', 'PortBindings', 'PublishAllPorts', 'ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions', 'LogConfig', 'Memory', 'NanoCpus', 'PidsLimit', 'ReadonlyRootfs', 'Init', 'CapAdd', 'CapDrop', 'Mounts', 'Tmpfs', 'SecurityOpt', 'Sysctls', 'OomScoreAdj', ...RESOURCE_KEYS];
const HOST_IGNORED = ['ContainerIDFile', 'CgroupnsMode', 'MemorySwappiness', 'OomKillDisable', 'Isolation', 'Cgroup'];


const unsupported = (field: string, v: unknown): HttpError =>
  new HttpError(400, `bulkheadd does not support ${field} yet (got ${JSON.stringify(v)})`);

function want(field: string, what: string, v: unknown): never {
  throw new HttpError(400, `invalid ${field}: must be ${what}, got ${JSON.stringify(v)}`);
}

/** A Mount (HostConfig.Mounts, --mount) as a bind string, an anonymous volume or a tmpfs. */
function mountOf(m: unknown, i: number, out: { binds: string[]; volumes: Record<string, object>; tmpfs: Record<string, string> }): void {
  if (!isObj(m)) want(`HostConfig.Mounts[${i}]`, 'an object', m);
  const { Type, Source, Target, ReadOnly } = m as { Type?: unknown; Source?: unknown; Target?: unknown; ReadOnly?: unknown };
  if (typeof Target !== 'string' || !Target.startsWith('/')) throw new HttpError(400, `invalid mount config: Target must be an absolute path, got ${JSON.stringify(Target)}`);
  const ro = ReadOnly === true ? ':ro' : '';
  if (Type === 'bind') {
    if (typeof Source !== 'string' || !path.isAbsolute(Source)) throw new HttpError(400, `invalid mount config for type "bind": invalid mount path: '${String(Source)}' mount path must be absolute`);
    // --mount type=bind does not create a missing source (Docker answers this, unlike -v).
    if (!fs.existsSync(Source)) throw new HttpError(400, `invalid mount config for type "bind": bind source path does not exist: ${Source}`);
    out.binds.push(`${Source}:${Target}${ro}`);
  } else if (Type === 'volume') {
    if (Source === undefined || Source === '') out.volumes[Target] = {};
    else if (typeof Source === 'string') out.binds.push(`${Source}:${Target}${ro}`);
    else want(`HostConfig.Mounts[${i}].Source`, 'a string', Source);
  } else if (Type === 'tmpfs') {
    const o = (m as { TmpfsOptions?: { SizeBytes?: number; Mode?: number } }).TmpfsOptions ?? {};
    const opts: string[] = [];
    if (o.SizeBytes) opts.push(`size=${o.SizeBytes}`);
    if (o.Mode) opts.push(`mode=${o.Mode.toString(8)}`);
    out.tmpfs[Target] = opts.join(',');
  } else throw new HttpError(400, `invalid mount config: mount type ${JSON.stringify(Type)} is not supported (bind, volume, tmpfs)`);
}

/** -v binds: an absolute host source is created when missing, as dockerd creates it; a name is a volume. */
function checkBinds(binds: unknown): string[] {
  if (binds === null || binds === undefined) return [];
  if (!Array.isArray(binds) || binds.some((b) => typeof b !== 'string')) want('HostConfig.Binds', 'an array of strings', binds);
  for (const b of binds as string[]) {
    const parts = b.split(':');
    if (parts.length < 2 || parts.length > 3) throw new HttpError(400, `invalid volume specification: '${b}'`);
    const [src, dst] = parts as [string, string];
    if (!dst.startsWith('/')) throw new HttpError(400, `invalid volume specification: '${b}': invalid mount config for type "bind": invalid mount path: '${dst}' mount path must be absolute`);
    if (src.startsWith('/') && !fs.existsSync(src)) fs.mkdirSync(src, { recursive: true, mode: 0o755 });
    else if (!src.startsWith('/') && src.includes('/')) throw new HttpError(400, `invalid volume specification: '${b}': a host path must be absolute`);
  }
  return binds as string[];
}

export function toEngineConfig(body: Record<string, unknown>, images: ImageSource): ContainerConfig {
  for (const [k, v] of Object.entries(body)) {
    if (CONFIG_MAPPED.includes(k) || CONFIG_IGNORED.includes(k)) continue;
    if (k === 'Healthcheck' && isObj(v) && (isZero(v) || JSON.stringify((v as { Test?: unknown }).Test) === '["NONE"]')) continue;
    if (!isZero(v)) throw unsupported(k, v);
  }
  const image = body.Image;
  if (typeof image !== 'string' || image === '') throw new HttpError(400, 'config.Image: an image is required');
  const img = images.resolve(image);
  if (!img) throw noSuchImage(image);
  const c: ContainerConfig = img.rootfs ? { Rootfs: img.rootfs, Image: image } : { Image: image };
  const copy = <K extends keyof ContainerConfig>(k: K) => {
    const v = body[k];
    if (v !== undefined && v !== null) c[k] = v as ContainerConfig[K];
  };
  for (const k of ['Hostname', 'Domainname', 'MacAddress', 'User', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'WorkingDir', 'Labels', 'StopSignal', 'StopTimeout'] as const) copy(k);
  if (isObj(body.ExposedPorts) && Object.keys(body.ExposedPorts).length) c.ExposedPorts = { ...(body.ExposedPorts as Record<string, object>) };
  const nc = body.NetworkingConfig;
  if (nc !== undefined && nc !== null) {
    if (!isObj(nc)) want('NetworkingConfig', 'an object { EndpointsConfig }', nc);
    const eps = nc.EndpointsConfig;
    if (eps !== undefined && eps !== null && !isObj(eps)) want('NetworkingConfig.EndpointsConfig', 'an object', eps);
    if (isObj(eps) && Object.keys(eps).length) c.NetworkingConfig = { EndpointsConfig: eps as NonNullable<ContainerConfig['NetworkingConfig']>['EndpointsConfig'] };
  }
  if (c.Hostname === '') delete c.Hostname;
  if (c.Domainname === '') delete c.Domainname;
  if (c.MacAddress === '') delete c.MacAddress;
  if (c.StopSignal === '') delete c.StopSignal;
  // The image's defaults: an Entrypoint given replaces the image's Cmd too (docker run --entrypoint).
  const ep = body.Entrypoint;
  const cmd = body.Cmd;
  const given = (v: unknown) => Array.isArray(v) && v.length > 0;
  if (ep !== undefined && ep !== null && !Array.isArray(ep)) want('Entrypoint', 'an array of strings', ep);
  if (cmd !== undefined && cmd !== null && !Array.isArray(cmd)) want('Cmd', 'an array of strings', cmd);
  if (given(ep)) {
    c.Entrypoint = ep as string[];
    if (given(cmd)) c.Cmd = cmd as string[];
  } else {
    if (img.Config.Entrypoint) c.Entrypoint = img.Config.Entrypoint;
    if (given(cmd)) c.Cmd = cmd as string[];
    else if (img.Config.Cmd) c.Cmd = img.Config.Cmd;
  }
  // Image Env first, the container's override by name.
  if (img.Config.Env) {
    const mine = new Set((c.Env ?? []).map((e) => String(e).split('=')[0]));
    c.Env = [...img.Config.Env.filter((e) => !mine.has(e.split('=')[0]!)), ...(c.Env ?? [])];
  }
  if (!c.WorkingDir && img.Config.WorkingDir) c.WorkingDir = img.Config.WorkingDir;
  if (!c.User && img.Config.User) c.User = img.Config.User;
  if (body.Volumes !== undefined && body.Volumes !== null) {
    if (!isObj(body.Volumes)) want('Volumes', 'an object { "/path": {} }', body.Volumes);
    c.Volumes = { ...(body.Volumes as Record<string, object>) };
  }

  const hc = body.HostConfig;
  if (hc === undefined || hc === null) return c;
  if (!isObj(hc)) want('HostConfig', 'an object', hc);
  for (const [k, v] of Object.entries(hc)) {
    if (HOST_MAPPED.includes(k) || HOST_IGNORED.includes(k)) continue;
    if (!isZero(v)) throw unsupported(`HostConfig.${k}`, v);
  }
  if (hc.OomKillDisable === true) throw unsupported('HostConfig.OomKillDisable', true);
  const h: HostConfig = {};
  const binds = checkBinds(hc.Binds);
  const m = { binds: [...binds], volumes: {} as Record<string, object>, tmpfs: {} as Record<string, string> };
  if (hc.Mounts !== undefined && hc.Mounts !== null) {
    if (!Array.isArray(hc.Mounts)) want('HostConfig.Mounts', 'an array', hc.Mounts);
    hc.Mounts.forEach((x, i) => mountOf(x, i, m));
  }
  if (m.binds.length) h.Binds = m.binds;
  if (Object.keys(m.volumes).length) c.Volumes = { ...(c.Volumes ?? {}), ...m.volumes };
  if (hc.Tmpfs !== undefined && hc.Tmpfs !== null) {
    if (!isObj(hc.Tmpfs)) want('HostConfig.Tmpfs', 'an object { "/path": "options" }', hc.Tmpfs);
    Object.assign(m.tmpfs, hc.Tmpfs);
  }
  if (Object.keys(m.tmpfs).length) h.Tmpfs = m.tmpfs;
  if (isObj(hc.RestartPolicy) && !isZero(hc.RestartPolicy)) h.RestartPolicy = hc.RestartPolicy as unknown as HostConfig['RestartPolicy'];
  if (hc.AutoRemove !== undefined && hc.AutoRemove !== null) h.AutoRemove = hc.AutoRemove as boolean;
  // NetworkMode as given ("default" and "" mean the daemon's default network, bridge unless --bridge none): the engine resolves it.
  const nm = hc.NetworkMode;
  if (nm !== undefined && nm !== null && nm !== '') {
    if (typeof nm !== 'string') want('HostConfig.NetworkMode', 'a string', nm);
    h.NetworkMode = nm;
  }
  if (isObj(hc.PortBindings) && Object.keys(hc.PortBindings).length) h.PortBindings = hc.PortBindings as HostConfig['PortBindings'];
  else if (hc.PortBindings !== undefined && hc.PortBindings !== null && !isObj(hc.PortBindings)) want('HostConfig.PortBindings', 'an object', hc.PortBindings);
  if (hc.PublishAllPorts === true) h.PublishAllPorts = true;
  for (const k of ['ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions'] as const) {
    const v = hc[k];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) h[k] = v as string[];
  }
  if (isObj(hc.LogConfig)) {
    const lc = hc.LogConfig as { Type?: string; Config?: Record<string, string> };
    if (lc.Type && lc.Type !== 'json-file') throw new HttpError(400, `logging driver ${JSON.stringify(lc.Type)} is not supported by bulkheadd (json-file only)`);
    h.LogConfig = { Type: 'json-file', ...(lc.Config && Object.keys(lc.Config).length ? { Config: lc.Config } : {}) };
  }
  for (const k of ['Memory', 'NanoCpus', 'PidsLimit'] as const) {
    const v = hc[k];
    if (v !== undefined && v !== null && v !== 0) h[k] = v as number;
  }
  for (const k of ['ReadonlyRootfs', 'Init'] as const) {
    const v = hc[k];
    if (v !== undefined && v !== null) h[k] = v as boolean;
  }
  for (const k of ['CapAdd', 'CapDrop', 'SecurityOpt'] as const) {
    const v = hc[k];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) h[k] = v as string[];
  }
  // Resource fields as given when not zero; the engine checks them (./engine/container/resources.ts).
  for (const k of RESOURCE_KEYS) {
    if (!isZero(hc[k])) (h as Record<string, unknown>)[k] = hc[k];
  }
  if (hc.Sysctls !== undefined && hc.Sysctls !== null && !(isObj(hc.Sysctls) && Object.keys(hc.Sysctls).length === 0)) h.Sysctls = hc.Sysctls as Record<string, string>;
  if (hc.OomScoreAdj !== undefined && hc.OomScoreAdj !== null && hc.OomScoreAdj !== 0) h.OomScoreAdj = hc.OomScoreAdj as number;
  // The terminal's size for -t, given at create by the docker CLI (API 1.42+).
  const cs = hc.ConsoleSize;
  if (c.Tty && Array.isArray(cs) && cs.length === 2 && cs.every((n) => Number.isInteger(n) && n > 0)) h.ConsoleSize = [cs[0] as number, cs[1] as number];
  c.HostConfig = h;
  return c;
}
