// spawn() on a network in one call: attach (connect), spawn joining the
// prepared namespace with the container's /etc files, release when the
// process ends. spawn() itself stays below the network layer and only knows
// `netns`; this is the `network: { name }` form for library users.
import { spawn, type Subprocess } from '../spawn/index';
import type { SpawnOptions } from '../spawn/options';
import { connect, type ConnectOptions, type Endpoint } from './network';

export interface SpawnOnNetwork {
  proc: Subprocess;
  endpoint: Endpoint;
}

export async function spawnOnNetwork(networkName: string, command: string, args: string[] = [], options: SpawnOptions & { network?: ConnectOptions } = {}): Promise<SpawnOnNetwork> {
  const { network: connectOptions, ...spawnOptions } = options;
  const endpoint = await connect(networkName, { hostname: spawnOptions.hostname, ...connectOptions });
  let proc: Subprocess;
  try {
    proc = spawn(command, args, { ...spawnOptions, netns: endpoint.netns, mounts: [...(spawnOptions.mounts ?? []), ...endpoint.mounts] });
  } catch (err) {
    endpoint.release();
    throw err;
  }
  // Released after the exit whatever the outcome; a rejection stays the caller's to handle.
  proc.then(() => endpoint.release(), () => endpoint.release());
  return { proc, endpoint };
}
