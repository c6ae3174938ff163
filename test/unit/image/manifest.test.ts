// Manifests and indexes from untrusted sources, and platform selection.
import t from 'tap';
import { ImageError } from '../../../lib/image/errors';
import { parseConfig, parseManifest, parsePlatform, selectPlatform, type Index } from '../../../lib/image/manifest';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const index: Index = {
  schemaVersion: 2,
  manifests: [
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('a'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('b'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('c'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D('d'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
  ],
};

t.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' }, 'x').digest, D('a'));
t.equal(selectPlatform(index, { os: 'linux', architecture: 'arm64' }, 'x').digest, D('b'), 'arm64 without a variant is v8');
t.equal(selectPlatform(index, parsePlatform('linux/arm/v7'), 'x').digest, D('c'));
t.throws(() => selectPlatform(index, parsePlatform('linux/arm/v6'), 'img'), { code: 'EPLATFORM', message: 'img: no manifest for linux/arm/v6 (the image has linux/amd64, linux/arm64/v8, linux/arm/v7)' });
t.throws(() => parsePlatform('linux'), TypeError);
t.throws(() => parsePlatform('linux/AMD64'), TypeError);

const bad = (text: string) => {
  try {
    parseManifest(Buffer.from(text), 'img');
  } catch (e) {
    return e instanceof ImageError ? e.code : 'other';
  }
  return 'parsed';
};
t.equal(bad('<html>'), 'EREGISTRY');
t.equal(bad('{"schemaVersion":1}'), 'EREGISTRY', 'schema 1 is refused');
t.equal(bad('{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:zz","size":1},"layers":[]}'), 'EREGISTRY', 'a bad digest');
t.equal(bad('{"schemaVersion":2,"config":{"mediaType":"x","digest":"' + D('e') + '","size":1},"layers":[{"mediaType":"x","digest":"' + D('f') + '","size":-1}]}'), 'EREGISTRY', 'a negative size');
t.equal(parseManifest(Buffer.from(JSON.stringify(index)), 'img').kind, 'index');
t.throws(() => parseConfig(Buffer.from('{"rootfs":{"diff_ids":["../x"]}}'), 'img'), { code: 'EREGISTRY' });
