// Pull progress as `docker pull` prints it: on a terminal one line per layer,
// redrawn in place (cursor up, erase line: ECMA-48 CUU and EL); otherwise one
// plain line per change of state (never per byte); nothing but errors with quiet.
import type { Writable } from 'node:stream';
import { ImageError } from '../../image/errors';
import type { Images } from '../../image/images';
import { familiarName, formatReference, parseReference } from '../../image/reference/parse';
import { parsePlatform } from '../../image/manifest';
import type { PullProgress } from '../../image/registry/pull';
import type { ImageRecord } from '../../image/store/store';

export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${units[i]}`;
}

function bar(cur: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((cur / total) * width)) : 0;
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}] ${humanSize(cur)}/${humanSize(total)}`;
}

export class ProgressPrinter {
  private readonly order: string[] = [];
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  private last = 0;

  constructor(
    private readonly out: Writable & { isTTY?: boolean },
    private readonly quiet = false,
  ) {}

  get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  event(p: PullProgress): void {
    if (this.quiet) return;
    if (p.status === 'Digest') {
      this.flush();
      this.out.write(`Digest: ${p.detail}\n`);
      return;
    }
    if (p.status === 'Resolving') {
      this.out.write(`Pulling ${p.id}\n`);
      return;
    }
    const text = `${p.id}: ${p.status}${p.status === 'Downloading' && p.total ? ` ${bar(p.current ?? 0, p.total)}` : ''}`;
    if (!this.lines.has(p.id)) this.order.push(p.id);
    const prev = this.lines.get(p.id);
    this.lines.set(p.id, text);
    if (!this.tty) {
      if (p.status !== 'Downloading' || !prev?.includes('Downloading')) this.out.write(`${p.id}: ${p.status}\n`);
      return;
    }
    const now = Date.now();
    if (p.status === 'Downloading' && now - this.last < 100) return;
    this.last = now;
    this.redraw();
  }

  private redraw(): void {
    let s = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const id of this.order) s += `\x1b[2K${this.lines.get(id)}\n`;
    this.drawn = this.order.length;
    this.out.write(s);
  }

  flush(): void {
    if (this.tty && this.order.length) this.redraw();
  }
}

export interface PullCliOptions {
  platform?: string;
  quiet?: boolean;
  stream?: Writable & { isTTY?: boolean };
  command?: string;
  signal?: AbortSignal;
}

/** Pulls with progress on stream; Ctrl-C cancels (the store stays consistent; a rerun resumes). */
export async function pullWithProgress(images: Images, name: string, o: PullCliOptions = {}): Promise<ImageRecord> {
  const out = o.stream ?? process.stdout;
  const printer = new ProgressPrinter(out, o.quiet);
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    const ref = parseReference(name);
    let fetched = false;
    const rec = await images.pull(name, {
      ...(o.platform ? { platform: parsePlatform(o.platform) } : {}),
      signal: ac.signal,
      onProgress: (p) => {
        if (p.status === 'Download complete') fetched = true;
        printer.event(p);
      },
    });
    printer.flush();
    if (!o.quiet) out.write(fetched ? `Status: Downloaded newer image for ${familiarName(ref)}\n` : `Status: Image is up to date for ${familiarName(ref)}\n`);
    return rec;
  } catch (err) {
    printer.flush();
    if (err instanceof ImageError && err.code === 'EABORTED') throw new ImageError('EABORTED', `${formatReference(parseReference(name))}: pull cancelled`, name);
    throw err;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}
