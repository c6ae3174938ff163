#!/usr/bin/env node
// The `bulkhead` command: dispatches to one module per subcommand.
import * as path from 'node:path';
import { nearest } from '../util/nearest';
import { UsageError } from './args';
import { imageCommand, imagesCommand, importCommand, inspectCommand, loadCommand, pullCommand, rmiCommand, saveCommand, tagCommand } from './image/commands';
import { pushCommand } from './image/push';
import { buildCommand } from './build/command';
import { infoCommand } from './info';
import { runCommand } from './run/command';
import { networkCommand } from './network/command';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; summary: string }> = {
  run: { run: runCommand, summary: 'run a command in a new container (docker run\'s flags)' },
  info: { run: infoCommand, summary: 'show what this host offers (cgroups, namespaces, clone3, seccomp)' },
  network: { run: networkCommand, summary: 'manage networks: create, ls, inspect, rm, prune' },
  build: { run: buildCommand, summary: 'build an image from a Dockerfile' },
  pull: { run: pullCommand, summary: 'pull an image from a registry' },
  push: { run: pushCommand, summary: 'push an image to a registry' },
  images: { run: imagesCommand, summary: 'list images' },
  image: { run: imageCommand, summary: 'manage images (ls, inspect, rm, tag, pull, push, load, save)' },
  rmi: { run: rmiCommand, summary: 'remove images' },
  tag: { run: tagCommand, summary: 'give an image another name' },
  inspect: { run: inspectCommand, summary: 'show images as JSON' },
  load: { run: loadCommand, summary: 'load images from a docker-archive or an OCI layout' },
  import: { run: importCommand, summary: 'import a root filesystem tarball as an image' },
  save: { run: saveCommand, summary: 'save images to a docker-archive' },
};

/** The package's version, from its package.json (dist/lib/cli/main.js is three levels below it). */
export function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(__dirname, '..', '..', '..', 'package.json')) as { version: string }).version;
}

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return (
    'Usage: bulkhead COMMAND [OPTIONS]\n       bulkhead --version\n\nCommands:\n' +
    names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}`).join('\n') +
    '\n\nRun `bulkhead COMMAND --help` for a command\'s options.\n'
  );
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`bulkhead ${version()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  try {
    if (!cmd) {
      const near = nearest(name, Object.keys(COMMANDS));
      throw new UsageError(
        `bulkhead: unknown command "${name}"${near ? `; did you mean "${near}"?` : ''} (valid: ${Object.keys(COMMANDS).join(', ')})`,
      );
    }
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`bulkhead ${name}: ${(err as Error).message ?? err}\n`);
    return 125;
  }
}

/** Runs the command line of this process and sets its exit status (bin/bulkhead). */
export function runMain(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`bulkhead: ${err?.stack ?? err}\n`);
      process.exitCode = 125;
    },
  );
}

if (require.main === module) runMain();
