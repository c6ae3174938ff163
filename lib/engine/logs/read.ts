// Reading a json-file log back, as docker logs: since/until (by the entry's
// time), tail (the last N entries), follow (new entries as they are written,
// across rotations, until the container stops). Files are read in 64 KiB
// chunks, so a log of any size is read in bounded memory.
import * as fs from 'node:fs';
import { parseTimeNs } from '../container/record';
import { logFiles } from './jsonfile';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC3339Nano */
  time: string;
  log: string;
}

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** RFC 3339 time or unix seconds: only entries at or after it. */
  since?: string;
  /** RFC 3339 time or unix seconds: only entries before it. */
  until?: string;
  /** The last N entries (of those selected); 'all' or undefined for every one. */
  tail?: number | 'all';
  follow?: boolean;
  /** Prefix each line with its time (formatLogEntry). */
  timestamps?: boolean;
  /** Ends a follower (within one 50 ms poll) when aborted: a client that went away. */
  signal?: AbortSignal;
}

/** Yields every whole line of fd from pos on; returns the position after the last whole line. */
function* linesFrom(fd: number, pos: { at: number }): Generator<string> {
  const buf = Buffer.alloc(64 * 1024);
  let carry = Buffer.alloc(0);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos.at + carry.length);
    if (n === 0) return;
    const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl < 0) break;
      const line = data.toString('utf8', start, nl);
      start = nl + 1;
      yield line;
    }
    pos.at += start;
    carry = Buffer.from(data.subarray(start));
  }
}

function parse(line: string): LogEntry | null {
  try {
    const e = JSON.parse(line) as LogEntry;
    return typeof e.log === 'string' && typeof e.time === 'string' ? e : null;
  } catch {
    // A line cut by a crash mid-write: skipped, as Docker's decoder skips what it cannot decode.
    return null;
  }
}

export function formatLogEntry(e: LogEntry, timestamps = false): string {
  return timestamps ? `${e.time} ${e.log}` : e.log;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Entries of the log at `file` (with its rotated files). `running()` tells a
 * follower whether more can come; it stops once it returns false and the file
 * has nothing new.
 */
export async function* readLogs(file: string, maxFile: number, opts: LogsOptions, running: () => boolean): AsyncGenerator<LogEntry> {
  const wantOut = opts.stdout ?? true;
  const wantErr = opts.stderr ?? true;
  const since = opts.since !== undefined ? parseTimeNs(opts.since) : undefined;
  const until = opts.until !== undefined ? parseTimeNs(opts.until) : undefined;
  const select = (e: LogEntry): boolean => {
    if (e.stream === 'stdout' ? !wantOut : !wantErr) return false;
    if (since === undefined && until === undefined) return true;
    const t = parseTimeNs(e.time);
    return (since === undefined || t >= since) && (until === undefined || t < until);
  };
  const tail = opts.tail === undefined || opts.tail === 'all' || opts.tail < 0 ? Infinity : opts.tail;

  // The live file is opened first: a rotation while the older ones are read does not lose it.
  let liveFd: number | null = null;
  try {
    liveFd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const livePos = { at: 0 };
  try {
    const ring: LogEntry[] = [];
    const keep = (e: LogEntry) => {
      if (tail === Infinity) return true;
      if (tail === 0) return false;
      ring.push(e);
      if (ring.length > tail) ring.shift();
      return false;
    };
    const files = logFiles(file, maxFile).slice(0, -1);
    for (const f of files) {
      let fd: number;
      try {
        fd = fs.openSync(f, 'r');
      } catch {
        continue;
      }
      try {
        for (const line of linesFrom(fd, { at: 0 })) {
          const e = parse(line);
          if (e && select(e) && keep(e)) yield e;
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    if (liveFd !== null) {
      for (const line of linesFrom(liveFd, livePos)) {
        const e = parse(line);
        if (e && select(e) && keep(e)) yield e;
      }
    }
    for (const e of ring) yield e;
    if (!opts.follow) return;
    let liveIno = liveFd !== null ? fs.fstatSync(liveFd).ino : -1;
    for (;;) {
      const wasRunning = running();
      if (liveFd !== null) {
        for (const line of linesFrom(liveFd, livePos)) {
          const e = parse(line);
          if (e && select(e)) {
            if (until !== undefined && parseTimeNs(e.time) >= until) return;
            yield e;
          }
        }
      }
      // Rotated away: drain the old file once more (the writer may have added to it
      // before renaming it), then read every rotated file newer than it, which
      // is all of them when the old one was already rotated out.
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st && st.ino !== liveIno) {
        if (liveFd !== null) {
          for (const line of linesFrom(liveFd, livePos)) {
            const e = parse(line);
            if (e && select(e)) yield e;
          }
          fs.closeSync(liveFd);
          liveFd = null;
        }
        const rotated = logFiles(file, maxFile).slice(0, -1);
        const inos = rotated.map((f) => fs.statSync(f, { throwIfNoEntry: false })?.ino);
        for (const f of rotated.slice(inos.indexOf(liveIno) + 1)) {
          let fd: number;
          try {
            fd = fs.openSync(f, 'r');
          } catch {
            continue;
          }
          try {
            for (const line of linesFrom(fd, { at: 0 })) {
              const e = parse(line);
              if (e && select(e)) yield e;
            }
          } finally {
            fs.closeSync(fd);
          }
        }
        liveFd = fs.openSync(file, 'r');
        liveIno = fs.fstatSync(liveFd).ino;
        livePos.at = 0;
        continue;
      }
      if (!wasRunning) return;
      await sleep(50);
    }
  } finally {
    if (liveFd !== null) fs.closeSync(liveFd);
  }
}
