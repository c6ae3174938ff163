// `bulkhead network create|ls|inspect|rm|prune`, with docker network's output.
import { createNetwork, inspectNetwork, listNetworks, pruneNetworks, removeNetwork } from '../../network/index';
import { nearest } from '../../util/nearest';
import { formatHelp, parseFlags, UsageError, type FlagSpec } from '../args';

const CREATE_FLAGS: FlagSpec[] = [
  { name: 'subnet', type: 'string', value: 'CIDR', help: 'the network\'s IPv4 subnet (default: the next free one of Docker\'s pools)' },
  { name: 'gateway', type: 'string', value: 'IP', help: 'the bridge\'s address (default: the first of the subnet)' },
  { name: 'internal', type: 'boolean', help: 'no route out of the network, no published ports' },
  { name: 'label', type: 'list', value: 'K=V', help: 'a label' },
  { name: 'driver', short: 'd', type: 'string', value: 'bridge', help: 'only bridge' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];
const PLAIN: FlagSpec[] = [
  { name: 'quiet', short: 'q', type: 'boolean', help: 'only names (ls) or ids' },
  { name: 'force', short: 'f', type: 'boolean', help: 'do not ask (prune)' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];

const SUB = ['create', 'ls', 'inspect', 'rm', 'prune'];

const usage =
  'Usage: bulkhead network COMMAND\n\nCommands:\n  create [--subnet CIDR] [--gateway IP] [--internal] [--label K=V] NAME\n  ls\n  inspect NAME...\n  rm NAME...\n  prune\n';

function fail(msg: string): never {
  throw new UsageError(`bulkhead network: ${msg}`, 125);
}

export async function networkCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(usage);
    return sub === undefined ? 2 : 0;
  }
  const cmd = sub === 'list' ? 'ls' : sub === 'remove' ? 'rm' : sub;
  if (!SUB.includes(cmd)) {
    const near = nearest(sub, SUB);
    throw new UsageError(`bulkhead network: unknown command "${sub}"${near ? `; did you mean "${near}"?` : ''} (valid: ${SUB.join(', ')})`);
  }
  const specs = cmd === 'create' ? CREATE_FLAGS : PLAIN;
  const { flags, positionals } = parseFlags(rest, specs, `network ${cmd}`);
  if (flags.help) {
    process.stdout.write(cmd === 'create' ? formatHelp('bulkhead network create [OPTIONS] NAME', 'Create a bridge network.', CREATE_FLAGS) : usage);
    return 0;
  }
  try {
    switch (cmd) {
      case 'create': {
        if (positionals.length !== 1) fail(`create takes one NAME, got ${positionals.length}`);
        if (flags.driver !== undefined && flags.driver !== 'bridge') fail(`--driver ${JSON.stringify(flags.driver)}: only bridge is supported`);
        const labels: Record<string, string> = {};
        for (const l of (flags.label as string[] | undefined) ?? []) {
          const eq = l.indexOf('=');
          if (eq <= 0) fail(`--label ${JSON.stringify(l)} must be KEY=VALUE`);
          labels[l.slice(0, eq)] = l.slice(eq + 1);
        }
        const n = createNetwork({ name: positionals[0], subnet: flags.subnet as string | undefined, gateway: flags.gateway as string | undefined, internal: Boolean(flags.internal), labels });
        process.stdout.write(`${n.id}\n`);
        return 0;
      }
      case 'ls': {
        const all = listNetworks();
        if (flags.quiet) {
          process.stdout.write(all.map((n) => `${n.id.slice(0, 12)}\n`).join(''));
          return 0;
        }
        const rows = [['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET', 'CONTAINERS'], ...all.map((n) => [n.id.slice(0, 12), n.name, n.driver, n.subnet, String(n.containers.length)])];
        const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        process.stdout.write(rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('   ')).join('\n') + '\n');
        return 0;
      }
      case 'inspect': {
        if (!positionals.length) fail('inspect needs at least one NAME');
        process.stdout.write(`${JSON.stringify(positionals.map(inspectNetwork), null, 2)}\n`);
        return 0;
      }
      case 'rm': {
        if (!positionals.length) fail('rm needs at least one NAME');
        for (const name of positionals) {
          removeNetwork(name);
          process.stdout.write(`${name}\n`);
        }
        return 0;
      }
      case 'prune': {
        const gone = pruneNetworks();
        process.stdout.write(gone.length ? `Deleted Networks:\n${gone.join('\n')}\n` : '');
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // Bad input and refusals alike: one line naming the value, exit 125.
    fail((err as Error).message);
  }
  return 0;
}
