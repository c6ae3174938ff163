// Output: the terminal table, the SVG charts and the Markdown report, from the
// results (spawn.json, uml-spawn.json, limits.json in the results directory).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostDescription } from './env';
import type { LimitRow, LimitsResults } from './limits';
import { peersSection } from './peers-report';
import type { Goal, SpawnResults, SpawnRow } from './spawn';
import { barChart, requestedVsMeasuredChart, type Bar } from './svg';

/** The project root (this file runs as dist/benchmarks/report.js). */
const PROJECT = path.resolve(__dirname, '..', '..');

export const FILES = {
  spawn: 'spawn.json',
  umlSpawn: 'uml-spawn.json',
  limits: 'limits.json',
  report: 'report.md',
  spawnSvg: 'spawn-latency.svg',
  umlSpawnSvg: 'uml-spawn-latency.svg',
};

const ms = (x: number | undefined) => (x === undefined ? '' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const times = (x: number | null | undefined) => (x === null || x === undefined ? '' : `${x.toFixed(2)}x`);
const sps = (x: number | null | undefined) => (x === null || x === undefined ? '' : x.toFixed(0));
const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

const statusText = (r: SpawnRow) => (r.status === 'ok' ? (r.note ? `note: ${r.note}` : '') : `${r.status}: ${r.reason ?? ''}`);

export function spawnTable(res: SpawnResults, width = 160): string {
  const head = ['case', 'median ms', 'p95 ms', 'vs floor', 'spawns/s', ''];
  const cells = [head, ...res.rows.map((r) => [r.label, ms(r.stats?.median), ms(r.stats?.p95), times(r.ratio), sps(r.spawnsPerSec), statusText(r)])];
  const text = pad(cells);
  return text
    .split('\n')
    .map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l))
    .join('\n');
}

export function goalLines(goals: Goal[]): string {
  return goals.map((g) => `${g.met === null ? 'UNKNOWN' : g.met ? 'MET    ' : 'NOT MET'}  ${g.description}: ${g.detail}`).join('\n');
}

export function limitsTable(res: LimitsResults, width = 160): string {
  const cells = [
    ['case', 'requested', 'measured', 'ratio', ''],
    ...res.rows.map((r) => [
      r.label,
      r.requested ? `${r.requested.value} ${r.requested.unit}` : '',
      r.measured ? `${Number(r.measured.value.toFixed(3))} ${r.measured.unit}` : '',
      times(r.ratio),
      r.status === 'ok' ? '' : `${r.status}: ${r.reason ?? ''}`,
    ]),
  ];
  return pad(cells)
    .split('\n')
    .map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l))
    .join('\n');
}

export function hostLine(h: HostDescription): string {
  const tools = Object.entries(h.tools)
    .map(([k, v]) => `${k}: ${v ?? 'not installed'}`)
    .join('; ');
  const cg = `cgroup ${h.cgroupMode}${h.cgroupMountpoint ? ` (v2 at ${h.cgroupMountpoint}, controllers: ${h.cgroupControllers.join(' ') || 'none'})` : ''}`;
  return `${h.where === 'uml' ? 'User-Mode Linux guest' : 'Host'}: ${h.cpu}, ${h.cores} ${h.cores === 1 ? 'core' : 'cores'}, ${gib(h.memoryBytes)} memory; kernel ${h.kernel} (${h.arch}); ${h.distro}; ${cg}; Node ${h.node}. ${tools}.`;
}

/** The gist of a skip or failure reason: its first clause. */
export function shortReason(reason: string | undefined): string {
  return (reason ?? '').split(/[:(;]/)[0].trim() || 'no reason given';
}

export function latencySvg(res: SpawnResults): string | null {
  const rows = res.rows.filter((r) => r.group !== 'throughput');
  if (!rows.some((r) => r.status === 'ok')) return null;
  const floor = res.rows.find((r) => r.id === 'floor' && r.status === 'ok');
  const bars: Bar[] = rows.map((r) =>
    r.status === 'ok' && r.stats
      ? {
          label: r.label,
          value: r.stats.median,
          whisker: r.stats.p95,
          group: r.group,
          annotation: `${ms(r.stats.median)} ms${r.ratio ? ` (${times(r.ratio)})` : ''}`,
        }
      : { label: r.label, value: 0, group: r.group, skipped: `${r.status}: ${shortReason(r.reason)}` },
  );
  const where = res.where === 'uml' ? 'User-Mode Linux' : 'host';
  return barChart(bars, {
    title: `Spawn latency of /bin/true, ${where}: median bars, whiskers to p95`,
    subtitle: `${res.host.kernel}, cgroup ${res.host.cgroupMode}, ${res.host.cores} ${res.host.cores === 1 ? 'core' : 'cores'}; n=${res.params.n} after ${res.params.warmup} warm-up; ${res.startedAt.slice(0, 10)}; a whisker cut with an arrow goes beyond the scale`,
    unit: 'milliseconds',
    goal: floor?.stats ? { value: 2 * floor.stats.median, label: `goal: 2x child_process.spawn (${ms(2 * floor.stats.median)} ms)` } : undefined,
    legend: [
      { group: 'floor', label: 'child_process.spawn (floor)' },
      { group: 'peer', label: 'peers' },
      { group: 'bulkhead', label: 'Bulkhead' },
    ],
  });
}

const CHART_TITLES: Record<string, string> = {
  cpu: 'cpu.max: share of a busy loop',
  memory: 'memory.max: peak at the OOM kill',
  pids: 'pids.max: tasks at the first failed fork',
  io: 'io.max: O_DIRECT on a ram disk',
};

/** Charts of requested against measured, one per limit group that has measured points. */
export function limitSvgs(res: LimitsResults): Array<{ file: string; title: string; svg: string }> {
  const out: Array<{ file: string; title: string; svg: string }> = [];
  const groups = new Map<string, LimitRow[]>();
  for (const r of res.rows) {
    if (r.status !== 'ok' || !r.requested || !r.measured || r.measured.unit !== r.requested.unit) continue;
    const key = `${r.group}|${r.requested.unit}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, rows] of groups) {
    const [group, unit] = key.split('|');
    const title = CHART_TITLES[group] ?? `${group}: requested against measured`;
    out.push({
      file: `limits-${group}-${unit.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}.svg`,
      title,
      svg: requestedVsMeasuredChart(
        rows.map((r) => ({ label: r.label.replace(/^[a-z]+\.[a-z]+ /, ''), requested: r.requested!.value, measured: r.measured!.value })),
        { title, unit },
      ),
    });
  }
  return out;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function goalCell(g: Goal | undefined): string {
  if (!g) return 'not run';
  const verdict = g.met === null ? 'not measured' : g.met ? '**met**' : '**not met**';
  const value = g.measured === null ? '' : g.id === 'floor-2x' ? `: ${g.measured.toFixed(2)}x the floor` : `: ${g.measured.toFixed(2)}x faster`;
  const who = g.subjectLabel ? ` (${g.subjectLabel})` : '';
  return mdCell(`${verdict}${value}${g.met === null ? ` (${g.detail.replace(/^not measured: /, '')})` : who}`);
}

function spawnSection(res: SpawnResults, title: string, svgRel: string | null): string {
  const lines: string[] = [];
  lines.push(`## ${title}`, '');
  lines.push(hostLine(res.host), '');
  const la = res.hostLoadAverage ?? res.loadAverage;
  const load = la ? ` ${res.hostLoadAverage ? "The host's load" : 'Load'} average (1 min) ${la.start[0]} before, ${la.end[0]} after: other work on the machine skews the numbers.` : '';
  lines.push(`Run ${res.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}: n=${res.params.n} timed spawns per row after ${res.params.warmup} warm-up (throughput rows: at least 8 rounds of their concurrency).${load}`, '');
  if (svgRel) lines.push(`![Spawn latency, ${res.where}](${svgRel})`, '');
  lines.push('| case | median ms | p95 ms | vs floor | spawns/s | notes |', '|---|---:|---:|---:|---:|---|');
  for (const r of res.rows) {
    const notes = r.status === 'ok' ? (r.note ?? '') : `**${r.status}**: ${r.reason ?? ''}`;
    lines.push(`| ${mdCell(r.label)} | ${ms(r.stats?.median)} | ${ms(r.stats?.p95)} | ${times(r.ratio)} | ${sps(r.spawnsPerSec)} | ${mdCell(notes)} |`);
  }
  lines.push('');
  lines.push('Goals:', '');
  for (const g of res.goals) lines.push(`- ${g.description}: ${g.met === null ? 'not measured' : g.met ? '**met**' : '**not met**'}. ${g.detail}.`);
  if (res.leftovers.length) lines.push('', `Left behind after the run: ${res.leftovers.join('; ')}.`);
  lines.push('');
  return lines.join('\n');
}

function limitsSection(res: LimitsResults, charts: Array<{ rel: string; title: string }>): string {
  const lines: string[] = ['## Limits and isolation overhead: User-Mode Linux', '', hostLine(res.host), ''];
  const la = res.hostLoadAverage;
  lines.push(`Run ${res.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}.${la ? ` The host's load average (1 min) ${la.start[0]} before, ${la.end[0]} after.` : ''}`, '');
  for (const c of charts) lines.push(`![${c.title}](${c.rel})`, '');
  lines.push('| case | requested | measured | ratio | what is measured | status |', '|---|---:|---:|---:|---|---|');
  for (const r of res.rows) {
    const status = r.status === 'ok' ? (r.note ?? 'ok') : `**${r.status}**: ${r.reason ?? ''}`;
    lines.push(
      `| ${mdCell(r.label)} | ${r.requested ? `${r.requested.value} ${r.requested.unit}` : ''} | ${r.measured ? `${Number(r.measured.value.toFixed(3))} ${r.measured.unit}` : ''} | ${times(r.ratio)} | ${mdCell(r.measures)} | ${mdCell(status)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * Writes the charts of every result present in outDir and the Markdown report
 * that combines them (at markdownFile, default outDir/report.md). Returns the
 * files written.
 */
export function writeReport(outDir: string, markdownFile = path.join(outDir, FILES.report)): string[] {
  const written: string[] = [];
  const mdDir = path.dirname(path.resolve(markdownFile));
  const rel = (f: string) => path.relative(mdDir, path.resolve(f)) || path.basename(f);
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    written.push(file);
  };
  const host = readJson<SpawnResults>(path.join(outDir, FILES.spawn));
  const uml = readJson<SpawnResults>(path.join(outDir, FILES.umlSpawn));
  const limits = readJson<LimitsResults>(path.join(outDir, FILES.limits));

  const parts: string[] = [];
  parts.push('# Bulkhead benchmarks', '');
  parts.push(
    'Written by `npm run bench` (benchmarks/main.ts) from the JSON results beside this file; [benchmarks/README.md](' +
      rel(path.join(PROJECT, 'benchmarks', 'README.md')) +
      ') says how to run them and what each row means. Ratios are to `child_process.spawn` of the same binary on the same machine in the same run.',
    '',
  );
  parts.push('## Goals', '', '| goal | host | User-Mode Linux |', '|---|---|---|');
  const goal = (r: SpawnResults | null, id: Goal['id']) => r?.goals.find((g) => g.id === id);
  parts.push(`| Bulkhead with full defaults at or under 2x \`child_process.spawn\` | ${goalCell(goal(host, 'floor-2x'))} | ${goalCell(goal(uml, 'floor-2x'))} |`);
  parts.push(`| Bulkhead with full defaults at least 3x faster than \`crun run\` | ${goalCell(goal(host, 'crun-3x'))} | ${goalCell(goal(uml, 'crun-3x'))} |`);
  parts.push(
    '',
    "\"Full defaults\" is the `Bulkhead: + full secure defaults` row: `spawn()` with its defaults left on (Docker's 14 capabilities, no_new_privs, the default seccomp profile, masked and read-only paths), the busybox rootfs, and a cgroup per spawn with memory, cpu and pids limits. On a hybrid host, whose cgroup v2 hierarchy has none of those controllers, the group has no limits, and the cell's label says so; crun there creates no cgroup at all.",
    '',
  );

  for (const [res, title, svgName] of [
    [host, 'Spawn latency: host', FILES.spawnSvg],
    [uml, 'Spawn latency: User-Mode Linux (pure cgroup v2)', FILES.umlSpawnSvg],
  ] as const) {
    if (!res) continue;
    const svg = latencySvg(res);
    let svgRel: string | null = null;
    if (svg) {
      const f = path.join(outDir, svgName);
      write(f, svg);
      svgRel = rel(f);
    }
    parts.push(spawnSection(res, title, svgRel));
  }
  if (limits) {
    const charts = limitSvgs(limits).map((c) => {
      const f = path.join(outDir, c.file);
      write(f, c.svg);
      return { rel: rel(f), title: c.title };
    });
    parts.push(limitsSection(limits, charts));
  }
  const peers = peersSection(outDir);
  if (peers) parts.push(peers);
  // benchmarks/images.ts writes its own table (images.md); the report carries it as a section.
  const imagesFile = path.join(outDir, 'images.md');
  if (fs.existsSync(imagesFile)) {
    const body = fs.readFileSync(imagesFile, 'utf8').replace(/^# Images\n/, '').trim();
    parts.push('## Images', '', `Written by \`node dist/benchmarks/images.js\` ([images.md](${rel(imagesFile)})); goals (issue 13): a cold pull + unpack within 1.2x of the fastest peer, \`run IMAGE /bin/true\` within 1.5x of \`spawn()\` on a plain directory.`, '', body, '');
  }
  if (!host && !uml && !limits) parts.push('No results yet: run `npm run bench -- all`.', '');
  write(markdownFile, `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`);
  return written;
}
