// `bulkhead push`: see lib/image/registry/push.ts.
import { Images } from '../../image/images';
import { formatHelp, parseFlags, UsageError } from '../args';

export async function pushCommand(argv: string[]): Promise<number> {
  const specs = [
    { name: 'quiet', short: 'q', type: 'boolean' as const, help: 'print nothing but errors' },
    { name: 'data-root', type: 'string' as const, value: 'DIR', help: 'image data (default: $BULKHEAD_ROOT or /var/lib/bulkhead)' },
    { name: 'help', type: 'boolean' as const, help: 'show this help' },
  ];
  const p = parseFlags(argv, specs, 'push');
  if (p.flags.help) {
    process.stdout.write(formatHelp('bulkhead push NAME[:TAG]', 'Push an image to its registry.', specs));
    return 0;
  }
  if (p.positionals.length !== 1) throw new UsageError('bulkhead push: expected 1 argument (usage: bulkhead push NAME[:TAG])', 125);
  const images = new Images(p.flags['data-root'] !== undefined ? { root: p.flags['data-root'] as string } : {});
  const digest = await images.push(p.positionals[0], { onProgress: p.flags.quiet ? undefined : (line) => process.stdout.write(`${line}\n`) });
  if (!p.flags.quiet) process.stdout.write(`digest: ${digest}\n`);
  return 0;
}
