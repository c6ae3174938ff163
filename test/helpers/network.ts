// Shared by the host and vm network tests: a data root of the test's own (so
// its nftables table is bulkhead_<hash>, never the real one), TCP servers and
// clients run as containers with node, and a view of what is left behind.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from '../../lib/index';
import type { Endpoint } from '../../lib/network/index';

export function useTestRoot(): { root: string; cleanup: () => void } {
  const before = process.env.BULKHEAD_ROOT;
  // Not under /tmp: a container without rootfs gets a fresh /tmp, and the per-container /etc files are bound from here.
  fs.mkdirSync('/var/tmp', { recursive: true });
  const root = fs.mkdtempSync('/var/tmp/bulkhead-net-');
  process.env.BULKHEAD_ROOT = root;
  return {
    root,
    cleanup: () => {
      if (before === undefined) delete process.env.BULKHEAD_ROOT;
      else process.env.BULKHEAD_ROOT = before;
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

const SERVER = 'const net=require("net");const s=net.createServer(c=>{c.end(process.argv[2]+" "+c.remoteAddress+"\\n")});s.listen(Number(process.argv[1]),"0.0.0.0",()=>console.log("listening"))';

/** A TCP server in the endpoint's namespace that answers "<tag> <peer address>"; resolves once it listens. */
export async function startServer(ep: Endpoint, port: number, tag: string) {
  const proc = spawn(process.execPath, ['-e', SERVER, String(port), tag], { netns: ep.netns, mounts: ep.mounts, reject: false, stdio: ['ignore', 'pipe', 'pipe'], buffer: false });
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.once('data', () => resolve());
    proc.then((r) => reject(new Error(`server exited: ${r.exitCode} ${r.stderr ?? ''}`)), reject);
  });
  // Not the handle itself: it is a promise, and returning it from here would wait for the exit.
  return { kill: (sig: NodeJS.Signals) => proc.kill(sig) };
}

const CLIENT = 'const s=require("net").connect(Number(process.argv[2]),process.argv[1]);let d="";s.setTimeout(2500,()=>{console.log("TIMEOUT");process.exit(0)});s.on("data",b=>d+=b);s.on("end",()=>{process.stdout.write(d)});s.on("error",e=>{console.log(e.code)})';

/** Connects from a namespace (an endpoint's, or the host's when undefined) and returns the answer, or an error code, or TIMEOUT. */
export async function tcpFrom(ep: { netns: number; mounts?: Endpoint['mounts'] } | undefined, host: string, port: number): Promise<string> {
  const opts = ep ? { netns: ep.netns, mounts: ep.mounts } : { namespaces: { net: false } };
  const r = await spawn(process.execPath, ['-e', CLIENT, host, String(port)], { ...opts, reject: false });
  return (r.stdout ?? '').trim();
}

export function vethsLeft(): string[] {
  return fs.readdirSync('/sys/class/net').filter((n) => /^vb[0-9a-f]{8}$/.test(n));
}

export function nft(...args: string[]): string {
  return execFileSync('nft', args, { encoding: 'utf8' });
}

/** Every table but the test's own, as `nft list ruleset` prints them. */
export function rulesetOutside(table: string): string {
  const text = nft('list', 'ruleset');
  return text.split(/^(?=table )/m).filter((block) => !block.startsWith(`table ip ${table} `)).join('');
}

export const recordFile = (root: string, name: string) => path.join(root, 'networks', `${name}.json`);
