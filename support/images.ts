// Builds test images from Debian's busybox-static, byte for byte under the
// test's control: layers as tars (written here, so that hostile entries and
// binary xattrs can be made), OCI layouts and docker-archives as docker save
// writes them. Nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BUSYBOX } from './rootfs';

export interface Entry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'link' | 'char' | 'block' | 'fifo';
  data?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  xattrs?: Record<string, Buffer>;
  devmajor?: number;
  devminor?: number;
  mtime?: number;
}

const TYPEFLAG = { file: '0', link: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' } as const;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, e: Entry, size: number, typeflag: string, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(octal((e.mode ?? (e.type === 'dir' ? 0o755 : 0o644)) & 0o7777, 8), 100);
  h.write(octal(e.uid ?? 0, 8), 108);
  h.write(octal(e.gid ?? 0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(e.mtime ?? 1700000000, 12), 136);
  h.write('        ', 148);
  h.write(typeflag, 156);
  h.write(linkname.slice(0, 100), 157, 'utf8');
  h.write('ustar\u000000', 257, 'latin1');
  h.write(octal(e.devmajor ?? 0, 8), 329);
  h.write(octal(e.devminor ?? 0, 8), 337);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** A tar (POSIX pax where needed: long names, xattrs as SCHILY.xattr.* with raw bytes). */
export function tar(entries: Entry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = type === 'file' ? Buffer.from(e.data ?? '') : Buffer.alloc(0);
    const records: Buffer[] = [];
    if (Buffer.byteLength(e.name) > 100) records.push(paxRecord('path', Buffer.from(e.name)));
    if (e.linkname && Buffer.byteLength(e.linkname) > 100) records.push(paxRecord('linkpath', Buffer.from(e.linkname)));
    for (const [k, v] of Object.entries(e.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
    if (records.length) {
      const pax = Buffer.concat(records);
      out.push(header('PaxHeader', { name: 'PaxHeader' }, pax.length, 'x'), pax, pad(pax.length));
    }
    out.push(header(e.name, e, data.length, TYPEFLAG[type], e.linkname ?? ''), data, pad(data.length));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** VFS_CAP_REVISION_2 security.capability value (linux/capability.h): permitted caps, effective bit set. */
export function capabilityXattr(caps: number[]): Buffer {
  const b = Buffer.alloc(20);
  let lo = 0;
  let hi = 0;
  for (const c of caps) {
    if (c < 32) lo |= 1 << c;
    else hi |= 1 << (c - 32);
  }
  b.writeUInt32LE(0x02000001, 0); // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
  b.writeUInt32LE(lo >>> 0, 4);
  b.writeUInt32LE(hi >>> 0, 12);
  return b;
}

/** The base layer: busybox, a symlink per applet, /etc/passwd and /etc/group with a user "app". */
export function busyboxEntries(): Entry[] {
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  const e: Entry[] = [{ name: './', type: 'dir' }];
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'root', 'home', 'home/app', 'data', 'opq']) e.push({ name: `${d}/`, type: 'dir', ...(d === 'home/app' ? { uid: 1000, gid: 1000 } : {}) });
  e.push({ name: 'tmp/', type: 'dir', mode: 0o1777 });
  e.push({ name: 'bin/busybox', data: fs.readFileSync(BUSYBOX), mode: 0o755 });
  for (const a of applets) e.push({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' });
  e.push({ name: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' });
  e.push({ name: 'etc/group', data: 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n' });
  e.push({ name: 'data/keep', data: 'keep\n' }, { name: 'data/gone', data: 'gone\n' });
  e.push({ name: 'opq/old', data: 'old\n' });
  return e;
}

/** The second layer: a whiteout, an opaque directory, a hard link, a symlink, a setuid file, a capability xattr. */
export function featureEntries(): Entry[] {
  return [
    { name: 'data/.wh.gone' },
    { name: 'opq/', type: 'dir' },
    { name: 'opq/.wh..wh..opq' },
    { name: 'opq/new', data: 'new\n' },
    { name: 'usr/', type: 'dir' },
    { name: 'usr/share/', type: 'dir' },
    { name: 'usr/share/one', data: 'linked\n' },
    { name: 'usr/share/two', type: 'link', linkname: 'usr/share/one' },
    { name: 'etc-link', type: 'symlink', linkname: '/etc' },
    { name: 'usr/share/suid', data: 'suid\n', mode: 0o4755 },
    // CAP_SETUID (7) and CAP_NET_RAW (13): bytes 0x80 and 0x20 in the value.
    { name: 'usr/share/capped', data: 'cap\n', mode: 0o755, xattrs: { 'security.capability': capabilityXattr([7, 13]) } },
  ];
}

export interface ImageConfigInput {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Volumes?: Record<string, object>;
  StopSignal?: string;
}

export interface BuiltImage {
  manifest: Buffer;
  manifestDigest: string;
  config: Buffer;
  configDigest: string;
  layers: Array<{ tar: Buffer; blob: Buffer; digest: string; diffId: string; mediaType: string }>;
}

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function buildImage(layers: Entry[][], config: ImageConfigInput = {}, compression: 'gzip' | 'zstd' | 'none' = 'gzip', arch = 'amd64'): BuiltImage {
  const built = layers.map((entries) => {
    const t = tar(entries);
    const blob = compression === 'gzip' ? zlib.gzipSync(t) : compression === 'zstd' ? execFileSync('zstd', ['-q', '-c'], { input: t, maxBuffer: 1 << 28 }) : t;
    const mediaType = `application/vnd.oci.image.layer.v1.tar${compression === 'none' ? '' : `+${compression}`}`;
    return { tar: t, blob, digest: sha256(blob), diffId: sha256(t), mediaType };
  });
  const cfg = Buffer.from(JSON.stringify({
    architecture: arch,
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], ...config },
    rootfs: { type: 'layers', diff_ids: built.map((l) => l.diffId) },
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(cfg), size: cfg.length },
    layers: built.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length })),
  }));
  return { manifest, manifestDigest: sha256(manifest), config: cfg, configDigest: sha256(cfg), layers: built };
}

/** An OCI image layout directory; each image annotated with its full name. */
export function writeOciLayout(dir: string, images: Array<{ image: BuiltImage; name?: string }>): void {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => fs.writeFileSync(path.join(blobs, sha256(b).slice(7)), b);
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifests = images.map(({ image, name }) => {
    put(image.manifest);
    put(image.config);
    for (const l of image.layers) put(l.blob);
    return {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: image.manifestDigest,
      size: image.manifest.length,
      ...(name ? { annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop() } } : {}),
    };
  });
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}

/** A tar of a directory (busybox tar: no dependency on GNU tar's options), optionally gzipped. */
export function tarDirectory(dir: string, file: string, gzip = false): void {
  const t = execFileSync(BUSYBOX, ['tar', '-c', '-C', dir, '.'], { maxBuffer: 1 << 30 });
  fs.writeFileSync(file, gzip ? zlib.gzipSync(t) : t);
}

/** A docker-archive as `docker save` writes it: <hex>.json configs, <id>/layer.tar, manifest.json, repositories. */
export function writeDockerArchive(file: string, images: Array<{ image: BuiltImage; tags: string[] }>): void {
  const entries: Entry[] = [];
  const manifest = [];
  const seen = new Set<string>();
  for (const { image, tags } of images) {
    const cfgName = `${image.configDigest.slice(7)}.json`;
    entries.push({ name: cfgName, data: image.config });
    const layers: string[] = [];
    for (const l of image.layers) {
      const id = l.diffId.slice(7);
      if (!seen.has(id)) {
        seen.add(id);
        entries.push({ name: `${id}/`, type: 'dir' }, { name: `${id}/VERSION`, data: '1.0' }, { name: `${id}/layer.tar`, data: l.tar });
      }
      layers.push(`${id}/layer.tar`);
    }
    manifest.push({ Config: cfgName, RepoTags: tags, Layers: layers });
  }
  entries.push({ name: 'manifest.json', data: JSON.stringify(manifest) });
  fs.writeFileSync(file, tar(entries));
}

/** An OCI layout whose one entry is an image index over several platforms (as a multi-arch image). */
export function writeOciIndexLayout(dir: string, name: string, images: Array<{ image: BuiltImage; platform: { os: string; architecture: string; variant?: string } }>): void {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => fs.writeFileSync(path.join(blobs, sha256(b).slice(7)), b);
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifests = images.map(({ image, platform }) => {
    put(image.manifest);
    put(image.config);
    for (const l of image.layers) put(l.blob);
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.manifestDigest, size: image.manifest.length, platform };
  });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  put(index);
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256(index), size: index.length, annotations: { 'org.opencontainers.image.ref.name': name } }],
  }));
}
