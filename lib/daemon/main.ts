#!/usr/bin/env node
// bulkheadd: the engine behind the Docker Engine API on a unix socket. One
// process owns one data root (the engine's lock); its containers run inside
// it and die with it (PR_SET_PDEATHSIG, as dockerd without live-restore); the
// next start over the root records them exited and applies restart policies.
// SIGTERM or SIGINT: stop listening, stop the containers (StopSignal, then
// SIGKILL after --shutdown-timeout), release the root, remove socket and pid file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import { Engine } from '../engine/index';
import { ensureDefaultNetwork } from '../network/index';
import { createApiServer, DirectoryImages } from '../api/index';
import { parseDaemonArgs, UsageError, USAGE } from './options';
import { gidOf, listenUnix } from './socket';
import { writePidFile } from './pidfile';
import { Images } from '../image/images';
import { StoreImages, StoreRootfs } from '../api/store-images';

function log(level: string, msg: string): void {
  process.stderr.write(`time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}\n`);
}

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export async function main(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseDaemonArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bulkheadd: ${err.message}\nSee 'bulkheadd --help'.\n`);
    return 125;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bulkheadd: must run as root (namespaces, mounts, cgroups)\n');
    return 1;
  }
  let gid = o.group === null ? null : gidOf(o.group);
  if (o.group !== null && gid === null) {
    log('warning', `could not find the group ${o.group}: the socket is root:root 0660`);
    gid = 0;
  }
  let releasePid: () => void;
  try {
    releasePid = writePidFile(o.pidfile);
  } catch (err) {
    log('error', (err as Error).message);
    return 1;
  }
  // The image store beside the engine's state, in its own directory (both have a containers/ of their own).
  const imageStore = new Images({ root: path.join(o.root, 'images') });
  // Networks live under the data root too (lib/network reads it from BULKHEAD_ROOT; its nftables table and default bridge are named after it).
  process.env.BULKHEAD_ROOT = o.root;
  const warnings: string[] = [];
  let engine: Engine;
  try {
    engine = await Engine.open({ root: o.root, rootfs: new StoreRootfs(imageStore), defaultNetwork: o.bridge === 'none' ? 'none' : 'bridge' });
  } catch (err) {
    releasePid();
    log('error', `cannot open the data root ${o.root}: ${(err as Error).message}`);
    return 1;
  }
  const rec = engine.recovery;
  if (rec.exited.length || rec.restarted.length || rec.removed.length) {
    log('info', `recovered the data root: ${rec.exited.length} containers found stopped, ${rec.restarted.length} restarted, ${rec.removed.length} removals finished`);
  }
  const server = createApiServer({ engine, images: new StoreImages(imageStore, o.images.length ? new DirectoryImages(o.images) : null), version: packageVersion(), log: (l) => log(o.debug ? 'debug' : 'error', l), logRequests: o.debug, warnings, buildContextLimit: o.maxBuildContext });

  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  try {
    await listenUnix(server, o.socket, gid);
  } catch (err) {
    log('error', `cannot listen on ${o.socket}: ${(err as Error).message}`);
    await engine.close({ timeout: 0 });
    releasePid();
    return 1;
  }
  // The default network is Docker's "bridge", made once the daemon owns its
  // root and socket, as dockerd makes docker0. A host where it cannot be made
  // (no nft binary, no bridge or nftables NAT in the kernel) still runs
  // containers: they get "none" by default, /info says why, and --network
  // bridge answers the reason. (Synchronous: no request is served before it.)
  if (o.bridge !== 'none') {
    try {
      ensureDefaultNetwork();
    } catch (err) {
      engine.setDefaultNetwork('none');
      const why = `WARNING: the default bridge network could not be made (${(err as Error).message}): containers without --network get none`;
      warnings.push(why);
      log('warning', why);
    }
  }
  log('info', `API listen on ${o.socket} (data root ${o.root})`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      log('info', `${sig}: shutting down (containers get ${o.shutdownTimeout}s to stop)`);
      server.close();
      // Builds first: each kills its RUN, unmounts its overlay and removes its context.
      await server.abortBuilds();
      try {
        await engine.close({ timeout: o.shutdownTimeout });
      } catch (err) {
        log('error', `engine close: ${(err as Error).message}`);
      }
      for (const s of sockets) s.destroy();
      try {
        if (fs.lstatSync(o.socket, { throwIfNoEntry: false })?.isSocket()) fs.unlinkSync(o.socket);
      } catch {
        // Gone already.
      }
      releasePid();
      log('info', 'daemon shut down');
      resolve(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}

/** Runs bulkheadd with this process's arguments and exits with its status (bin/bulkheadd). */
export function runMain(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      log('error', err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}

if (require.main === module) runMain();
