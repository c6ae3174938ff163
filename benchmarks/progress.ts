// The progress line on stderr: which case is running and i/N. On a TTY one line
// is rewritten in place; otherwise (a log, CI, the UML console) plain lines at
// the start of a case, every quarter and at its end.

export interface Progress {
  /** A case starts: `total` timed iterations after `warmup` untimed ones. */
  start(label: string, total: number, warmup: number): void;
  /** Iteration i (1-based) of the timed run is done. */
  tick(i: number): void;
  /** A warm-up iteration is done. */
  warm(i: number): void;
  /** The case ended; `summary` is a short result ("1.23 ms median", "skipped: ..."). */
  done(summary: string): void;
  /** A free-form note (a phase that is not a case: building the rootfs, booting UML). */
  note(text: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, prefix = ''): Progress {
  const tty = stream.isTTY === true;
  let label = '';
  let total = 0;
  let warmup = 0;
  let lastPlain = -1;
  let lastDraw = 0;
  const width = () => (tty && stream.columns ? stream.columns - 1 : 200);
  const draw = (text: string, force = false) => {
    if (!tty) return;
    const now = Date.now();
    // Redrawing on every tick of a 0.5 ms case costs more than the case.
    if (!force && now - lastDraw < 50) return;
    lastDraw = now;
    stream.write(`\r\x1b[2K${(prefix + text).slice(0, width())}`);
  };
  const plain = (text: string) => {
    if (tty) stream.write(`\r\x1b[2K${prefix}${text}\n`);
    else stream.write(`${prefix}${text}\n`);
  };
  return {
    start(l, t, w) {
      label = l;
      total = t;
      warmup = w;
      lastPlain = -1;
      if (tty) draw(`${label}: warm-up 0/${warmup}`, true);
      else plain(`${label}: ${warmup} warm-up, ${total} timed`);
    },
    warm(i) {
      draw(`${label}: warm-up ${i}/${warmup}`);
    },
    tick(i) {
      if (tty) {
        draw(`${label}: ${i}/${total}`, i === total);
        return;
      }
      const quarter = Math.floor((4 * i) / Math.max(total, 1));
      if (quarter > lastPlain && quarter < 4 && i > 0 && quarter > 0) {
        lastPlain = quarter;
        plain(`${label}: ${i}/${total}`);
      }
    },
    done(summary) {
      plain(`${label}: ${summary}`);
    },
    note(text) {
      plain(text);
    },
  };
}

/** A Progress that says nothing (unit use, nested runs). */
export const silentProgress: Progress = {
  start() {},
  tick() {},
  warm() {},
  done() {},
  note() {},
};

/** Marks a relayed progress event on a line of a child's output (the UML console, a helper node). */
export const RELAY_MARK = '@bench';

/**
 * A Progress for a process whose output another one reads (the UML guest, the
 * crun helper on a hybrid host): one tab-separated event per line, ticks at most
 * every 100 ms. The reader passes each line to replayProgress.
 */
export function createRelayProgress(write: (line: string) => void): Progress {
  let last = 0;
  let total = 0;
  const emit = (...fields: Array<string | number>) => write(`${[RELAY_MARK, ...fields].map((f) => String(f).replace(/[\t\n]/g, ' ')).join('\t')}\n`);
  const throttled = (event: string, i: number, end: number) => {
    const now = Date.now();
    if (i !== end && now - last < 100) return;
    last = now;
    emit(event, i);
  };
  return {
    start(label, t, w) {
      total = t;
      emit('start', label, t, w);
    },
    warm: (i) => throttled('warm', i, -1),
    tick: (i) => throttled('tick', i, total),
    done: (summary) => emit('done', summary),
    note: (text) => emit('note', text),
  };
}

/** Feeds one relayed line into a Progress; false when the line is not a relay event. */
export function replayProgress(line: string, progress: Progress, labelPrefix = ''): boolean {
  if (!line.startsWith(`${RELAY_MARK}\t`)) return false;
  const [, event, a = '', b = '', c = ''] = line.replace(/\r?\n$/, '').split('\t');
  switch (event) {
    case 'start':
      progress.start(labelPrefix + a, Number(b), Number(c));
      break;
    case 'warm':
      progress.warm(Number(a));
      break;
    case 'tick':
      progress.tick(Number(a));
      break;
    case 'done':
      progress.done(a);
      break;
    case 'note':
      progress.note(labelPrefix + a);
      break;
    default:
      return false;
  }
  return true;
}
