// The engine's networks (engine.networks): lib/network's bridge networks under
// $BULKHEAD_ROOT/networks, seen with the containers that use them. Removing a
// network a container is configured on (running or not) is a conflict naming
// them; the default network "bridge" is predefined and cannot be removed.
import { createNetwork, listNetworks, removeNetwork, NetworkError, DEFAULT_NETWORK, type CreateOptions, type NetworkInfo } from '../network/index';
import { EngineError, conflict, invalid } from '../util/engine-error';
import type { Containers } from './containers';
import { findNetwork, noSuchNetwork } from './network/attach';

/** lib/network's errors in the engine's classes (a bad value is 400, a name taken 409, a missing network 404). */
function mapped(err: unknown): unknown {
  if (err instanceof TypeError || err instanceof RangeError) return invalid(err.message);
  if (err instanceof NetworkError) {
    if (err.code === 'ENOENT') return new EngineError('NOT_FOUND', err.message, { cause: err });
    if (err.code === 'EEXIST') return new EngineError('CONFLICT', err.message, { cause: err });
    if (err.code === 'EPERM') return new EngineError('FORBIDDEN', err.message, { cause: err });
    if (err.code === 'EBUSY') return new EngineError('CONFLICT', err.message, { cause: err });
  }
  return err;
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw mapped(err);
  }
}

export class Networks {
  constructor(private readonly containers: Containers) {}

  list(): NetworkInfo[] {
    return wrap(() => listNetworks());
  }

  /** By name, id or unambiguous id prefix. */
  inspect(ref: string): NetworkInfo {
    return wrap(() => {
      const { name } = findNetwork(ref);
      const n = listNetworks().find((x) => x.name === name);
      if (!n) throw noSuchNetwork(ref);
      return n;
    });
  }

  create(o: CreateOptions): NetworkInfo {
    return wrap(() => {
      if (o.name === DEFAULT_NETWORK) throw new EngineError('FORBIDDEN', `operation is not permitted on predefined ${o.name} network`);
      if (listNetworks().some((n) => n.name === o.name)) throw conflict(`network with name ${o.name} already exists`);
      return createNetwork(o);
    });
  }

  /** 409 naming the containers configured on it (running or stopped), as dockerd's "has active endpoints". */
  remove(ref: string): void {
    wrap(() => {
      const n = findNetwork(ref);
      if (n.name === DEFAULT_NETWORK) throw new EngineError('FORBIDDEN', `${n.name} is a pre-defined network and cannot be removed`);
      const users = this.containers.usersOfNetwork(n.name);
      if (users.length) {
        const who = users.map((id) => `name:"${this.containers.inspect(id).Name.slice(1)}" id:"${id.slice(0, 12)}"`).join(', ');
        throw conflict(`error while removing network: network ${n.name} id ${n.id} has active endpoints (${who})`);
      }
      removeNetwork(n.name);
    });
  }

  /** Every user-defined network no container is configured on (and that `which` accepts); returns their names. */
  prune(which: (name: string) => boolean = () => true): string[] {
    return wrap(() => {
      const busy = new Set(listNetworks().filter((n) => this.containers.usersOfNetwork(n.name).length).map((n) => n.name));
      const gone: string[] = [];
      for (const n of listNetworks()) {
        if (n.name === DEFAULT_NETWORK || busy.has(n.name) || n.containers.length || !which(n.name)) continue;
        removeNetwork(n.name);
        gone.push(n.name);
      }
      return gone;
    });
  }
}
