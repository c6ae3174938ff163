import { collectInfo } from '../info/collect';
import { formatInfo } from '../info/format';
import { formatHelp, parseFlags, UsageError, type FlagSpec } from './args';

const FLAGS: FlagSpec[] = [
  { name: 'json', type: 'boolean', help: 'print the report as JSON (field names in README.md)' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];

export const infoHelp = formatHelp('bulkhead info [--json]', 'Show what this host offers Bulkhead: cgroups, namespaces, clone3, seccomp, capabilities.', FLAGS);

export async function infoCommand(argv: string[]): Promise<number> {
  const { flags, positionals, rest } = parseFlags(argv, FLAGS, 'info');
  if (flags.help) {
    process.stdout.write(infoHelp);
    return 0;
  }
  const extra = [...positionals, ...(rest ?? [])];
  if (extra.length) throw new UsageError(`bulkhead info: unexpected argument "${extra[0]}" (info takes only --json)`);
  const info = await collectInfo();
  process.stdout.write(flags.json ? JSON.stringify(info, null, 2) + '\n' : formatInfo(info));
  return 0;
}
