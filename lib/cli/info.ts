import { FALLBACK_PARENT } from '../cgroup/cgroup';
import { discoverCgroup } from '../cgroup/discover';
import { reclaimDefaultParents } from '../cgroup/reclaim';
import { collectInfo } from '../info/collect';
import { formatInfo } from '../info/format';
import { formatHelp, parseFlags, UsageError, type FlagSpec } from './args';

const FLAGS: FlagSpec[] = [
  { name: 'json', type: 'boolean', help: 'print the report as JSON (field names in README.md)' },
  { name: 'cleanup', type: 'boolean', help: 'remove groups left by Bulkhead processes that died (never one of a live process, never one holding a process)' },
  { name: 'help', type: 'boolean', help: 'show this help' },
];

export const infoHelp = formatHelp('bulkhead info [--json] [--cleanup]', 'Show what this host offers Bulkhead: cgroups, namespaces, clone3, seccomp, capabilities.', FLAGS);

export async function infoCommand(argv: string[]): Promise<number> {
  const { flags, positionals, rest } = parseFlags(argv, FLAGS, 'info');
  if (flags.help) {
    process.stdout.write(infoHelp);
    return 0;
  }
  const extra = [...positionals, ...(rest ?? [])];
  if (extra.length) throw new UsageError(`bulkhead info: unexpected argument "${extra[0]}" (info takes only --json and --cleanup)`);
  if (flags.cleanup) {
    const r = reclaimDefaultParents(discoverCgroup(), FALLBACK_PARENT);
    if (flags.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else {
      process.stdout.write(`Removed ${r.removed.length} group${r.removed.length === 1 ? '' : 's'} of dead Bulkhead processes${r.removed.map((d) => `\n  ${d}`).join('')}\n`);
      if (r.busy.length) process.stdout.write(`Left ${r.busy.length} that still hold processes (containers started with dieWithParent: false)${r.busy.map((d) => `\n  ${d}`).join('')}\n`);
    }
    return 0;
  }
  const info = await collectInfo();
  process.stdout.write(flags.json ? JSON.stringify(info, null, 2) + '\n' : formatInfo(info));
  return 0;
}
