// The peers benchmark's part of the report: a terminal summary and the Markdown
// section of report.md, from peers.json. Pure functions of the results.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PeerRatio, PeersResults, RowResult } from './peers-guest';

export const PEERS_FILE = 'peers.json';

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const TITLES: Record<string, string> = {
  run: '`docker run --rm IMAGE /bin/true` (issue 15)',
  ps: '`docker ps` with 505 containers against 5 (issue 15)',
  pull: 'Cold pull + unpack from a loopback registry (issue 13)',
  network: 'Start on a bridge network against `--network none` (issue 16)',
  build: 'A 10-step Dockerfile, cold and cached (issue 17)',
};

function rowLine(r: RowResult): string {
  if (r.status === 'ok') return `| ${cell(r.what)} | ${r.n} | ${ms(r.medianMs)} | ${ms(r.p95Ms)} |`;
  return `| ${cell(r.what)} | ${r.status} | | ${cell(r.reason)} |`;
}

function ratioLine(x: PeerRatio): string {
  const goal = x.goal ? `${x.goal}: ${x.met === null || x.met === undefined ? 'not measured' : x.met ? '**met**' : '**not met**'}` : '';
  return `| ${cell(x.what)} | ${x.ratio === null ? 'not measured' : `**${x.ratio.toFixed(2)}x**`} | ${goal} |`;
}

/** The Markdown section, or null when there is no peers.json in outDir. */
export function peersSection(outDir: string): string | null {
  const file = path.join(outDir, PEERS_FILE);
  if (!fs.existsSync(file)) return null;
  return peersMarkdown(JSON.parse(fs.readFileSync(file, 'utf8')) as PeersResults);
}

export function peersMarkdown(res: PeersResults): string {
  const out: string[] = [];
  out.push('## Peers in User-Mode Linux: bulkheadd, dockerd, podman, skopeo', '');
  out.push(
    `Written by \`node dist/benchmarks/peers.js\` (benchmarks/peers.ts) on ${res.date}: one UML guest (Linux ${res.kernel}, one CPU, ${res.memoryMiB} MiB), every engine started inside it on the same kernel, in one run. ` +
      'UML has slow syscalls and one CPU: compare the ratios, not the absolute times. Times are whole commands (client start-up included), medians of N, in ms.' +
      (res.hostLoadAverage ? ` The host's load average was ${res.hostLoadAverage.start[0]} before and ${res.hostLoadAverage.end[0]} after (a shared machine: the p95 column shows the spread).` : ''),
    '',
  );
  out.push(`Versions: ${Object.entries(res.versions).map(([k, v]) => `${k} \`${v}\``).join(', ')}.`, '');
  for (const [k, v] of Object.entries(res.setup)) out.push(`- ${k}: ${v}`);
  if (Object.keys(res.setup).length) out.push('');
  out.push('| ratio | value | goal |', '|---|---|---|', ...res.ratios.filter((r) => r.ratio !== null || r.goal).map(ratioLine), '');
  for (const [section, rows] of Object.entries(res.rows)) {
    out.push(`### ${TITLES[section] ?? section}`, '', '| what | N | median (ms) | p95 (ms) |', '|---|---|---|---|', ...rows.map(rowLine), '');
  }
  if (res.notes.length) out.push('Notes:', '', ...res.notes.map((n) => `- ${n}`), '');
  out.push(res.leftovers.length ? `**Left behind in the guest:** ${res.leftovers.join('; ')}` : 'Nothing was left behind in the guest (processes, mounts, interfaces, work directory) after the engines stopped.', '');
  return out.join('\n');
}

/** A short terminal summary. */
export function peersSummary(res: PeersResults): string {
  const lines: string[] = [];
  for (const [section, rows] of Object.entries(res.rows)) {
    lines.push(`${section}:`);
    for (const r of rows) lines.push(r.status === 'ok' ? `  ${r.what.padEnd(70)} n=${String(r.n).padStart(3)}  median ${ms(r.medianMs).padStart(7)} ms  p95 ${ms(r.p95Ms).padStart(7)} ms` : `  ${r.what.padEnd(70)} ${r.status}: ${r.reason}`);
  }
  lines.push('ratios:');
  for (const x of res.ratios) lines.push(`  ${x.what.padEnd(70)} ${x.ratio === null ? 'not measured' : `${x.ratio.toFixed(2)}x`}${x.goal ? `  (goal ${x.goal}: ${x.met === null || x.met === undefined ? 'not measured' : x.met ? 'met' : 'NOT met'})` : ''}`);
  if (res.leftovers.length) lines.push(`LEFT BEHIND: ${res.leftovers.join('; ')}`);
  return lines.join('\n');
}
