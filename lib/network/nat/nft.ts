// Applies a batch with the nft binary (Debian's nftables package). Chosen over
// nftables' netlink protocol: the batch text is the documented, stable
// interface, one exec per change is cheap next to creating a veth, and a test
// can read the result back with `nft list table ip bulkhead`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tableName } from './ruleset';

const CANDIDATES = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'];

export class NftError extends Error {
  readonly code = 'ERR_BULKHEAD_NFT';
}

export function nftBinary(): string | undefined {
  return CANDIDATES.find((p) => fs.existsSync(p));
}

export function applyBatch(batch: string): void {
  const nft = nftBinary();
  if (!nft) throw new NftError(`nft not found (looked in ${CANDIDATES.join(', ')}): install Debian's nftables package`);
  const r = spawnSync(nft, ['-f', '-'], { input: batch, encoding: 'utf8' });
  if (r.error) throw new NftError(`nft -f failed: ${r.error.message}`);
  if (r.status !== 0) throw new NftError(`nft -f failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
}

export function listTable(): string {
  const nft = nftBinary();
  if (!nft) return '';
  const r = spawnSync(nft, ['list', 'table', 'ip', tableName()], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : '';
}
