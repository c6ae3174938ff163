// SVG charts as strings, rendered in Node with no browser: horizontal latency
// bars with a goal line, and requested-against-measured for limits. Pure.

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Axis ticks from 0 with a step of 1, 2 or 5 times a power of ten, the last at or above max. */
export function niceTicks(max: number, approx = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / approx;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) as number;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const fmtTick = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());
/** Rough width of text in a 12px sans-serif font. */
const textWidth = (s: string, px = 12) => s.length * px * 0.56;

export const COLORS: Record<string, string> = {
  floor: '#8c8c8c',
  peer: '#e69f00',
  bulkhead: '#0072b2',
  throughput: '#009e73',
  goal: '#d55e00',
};

export interface Bar {
  label: string;
  /** The bar's length (the median). */
  value: number;
  /** A whisker to this value (the p95), if given. */
  whisker?: number;
  /** Colour key (COLORS) or a colour. */
  group: string;
  /** Text after the bar; default the value with the unit. */
  annotation?: string;
  /** A row that did not run: no bar, this text in grey instead. */
  skipped?: string;
}

export interface BarChartOptions {
  title: string;
  subtitle?: string;
  unit: string;
  /** A dashed vertical line, e.g. 2x the floor. */
  goal?: { value: number; label: string };
  width?: number;
  legend?: Array<{ group: string; label: string }>;
}

/** A white outline under text, so a grid or goal line behind it stays readable. */
const HALO = 'stroke="#ffffff" stroke-width="3" paint-order="stroke"';
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function barChart(bars: Bar[], o: BarChartOptions): string {
  const width = o.width ?? 820;
  const rowH = 26;
  const top = o.subtitle ? 72 : 52;
  const labelW = Math.min(340, Math.max(120, ...bars.map((b) => textWidth(b.label) + 16)));
  const annW = Math.max(90, ...bars.filter((b) => b.skipped === undefined).map((b) => textWidth(b.annotation ?? `${fmtTick(b.value)} ${o.unit}`, 11) + 12));
  const plotX = labelW;
  const plotW = Math.max(120, width - labelW - annW - 16);
  // The scale follows the bars and the goal; a whisker far beyond them (a noisy p95)
  // is cut at the edge with an arrowhead rather than squeezing every bar.
  const drawn = bars.filter((b) => b.skipped === undefined);
  const maxBar = Math.max(...drawn.map((b) => b.value), o.goal?.value ?? 0, 1e-9);
  const max = Math.max(maxBar, Math.min(maxBar * 1.3, Math.max(0, ...drawn.map((b) => b.whisker ?? 0))));
  const ticks = niceTicks(max);
  const scaleMax = ticks[ticks.length - 1];
  const x = (v: number) => plotX + (v / scaleMax) * plotW;
  const plotH = bars.length * rowH;
  const legendY = top + plotH + 40;
  const height = legendY + (o.legend?.length ? 24 : 4);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="22" font-size="15" font-weight="600" fill="#222">${esc(o.title)}</text>`);
  if (o.subtitle) out.push(`<text x="12" y="42" font-size="11.5" fill="#555">${esc(o.subtitle)}</text>`);
  // Grid and axis.
  for (const t of ticks) {
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${top + plotH}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${tx}" y="${top + plotH + 16}" text-anchor="middle" fill="#555" font-size="11">${esc(fmtTick(t))}</text>`);
  }
  out.push(`<text x="${(plotX + plotW / 2).toFixed(1)}" y="${top + plotH + 32}" text-anchor="middle" fill="#555" font-size="11">${esc(o.unit)}</text>`);
  // Bars first, then the goal line over them, then the texts over both.
  const texts: string[] = [];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const color = COLORS[b.group] ?? b.group;
    texts.push(`<text x="${plotX - 8}" y="${y + rowH / 2 + 4}" text-anchor="end" fill="${b.skipped ? '#888' : '#222'}">${esc(b.label)}</text>`);
    if (b.skipped !== undefined) {
      texts.push(`<text x="${plotX + 6}" y="${y + rowH / 2 + 4}" fill="#888" font-size="11" font-style="italic" ${HALO}>${esc(b.skipped)}</text>`);
      return;
    }
    const w = Math.max(1, x(b.value) - plotX);
    out.push(`<rect x="${plotX}" y="${y + 5}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="${color}" rx="2"><title>${esc(`${b.label}: ${b.annotation ?? fmtTick(b.value)}`)}</title></rect>`);
    let end = plotX + w;
    if (b.whisker !== undefined && b.whisker > b.value) {
      const clipped = b.whisker > scaleMax;
      const wx = x(Math.min(b.whisker, scaleMax));
      const cy = y + rowH / 2;
      out.push(`<line x1="${(plotX + w).toFixed(1)}" y1="${cy}" x2="${wx.toFixed(1)}" y2="${cy}" stroke="#333" stroke-width="1"/>`);
      if (clipped) out.push(`<path d="M${(wx - 6).toFixed(1)},${cy - 4} L${wx.toFixed(1)},${cy} L${(wx - 6).toFixed(1)},${cy + 4}" fill="none" stroke="#333" stroke-width="1"/>`);
      else out.push(`<line x1="${wx.toFixed(1)}" y1="${cy - 5}" x2="${wx.toFixed(1)}" y2="${cy + 5}" stroke="#333" stroke-width="1"/>`);
      end = wx;
    }
    texts.push(`<text x="${(end + 6).toFixed(1)}" y="${y + rowH / 2 + 4}" fill="#333" font-size="11" ${HALO}>${esc(b.annotation ?? `${fmtTick(b.value)} ${o.unit}`)}</text>`);
  });
  if (o.goal) {
    const gx = x(o.goal.value).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${top + plotH}" stroke="${COLORS.goal}" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    const anchor = x(o.goal.value) > plotX + plotW * 0.6 ? 'end' : 'start';
    const lx = anchor === 'end' ? x(o.goal.value) - 4 : x(o.goal.value) + 4;
    out.push(`<text x="${lx.toFixed(1)}" y="${top - 10}" text-anchor="${anchor}" fill="${COLORS.goal}" font-size="11">${esc(o.goal.label)}</text>`);
  }
  out.push(...texts);
  if (o.legend?.length) {
    let lx = 12;
    for (const l of o.legend) {
      out.push(`<rect x="${lx}" y="${legendY - 9}" width="10" height="10" fill="${COLORS[l.group] ?? l.group}"/>`);
      out.push(`<text x="${lx + 14}" y="${legendY}" fill="#333" font-size="11">${esc(l.label)}</text>`);
      lx += 14 + textWidth(l.label, 11) + 18;
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export interface LimitPoint {
  label: string;
  requested: number;
  measured: number;
}

/**
 * Requested against measured for one kind of limit: a point per setting and the
 * diagonal where they are equal. Both axes share the unit and the scale.
 */
export function requestedVsMeasuredChart(points: LimitPoint[], o: { title: string; unit: string; width?: number }): string {
  const width = o.width ?? 420;
  const pad = { left: 56, right: 16, top: 40, bottom: 44 };
  const plot = width - pad.left - pad.right;
  const height = pad.top + plot + pad.bottom;
  const max = Math.max(1e-9, ...points.flatMap((p) => [p.requested, p.measured]));
  const ticks = niceTicks(max, 4);
  const scaleMax = ticks[ticks.length - 1];
  const x = (v: number) => pad.left + (v / scaleMax) * plot;
  const y = (v: number) => pad.top + plot - (v / scaleMax) * plot;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="22" font-size="14" font-weight="600" fill="#222">${esc(o.title)}</text>`);
  for (const t of ticks) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${pad.top}" x2="${x(t).toFixed(1)}" y2="${pad.top + plot}" stroke="#eee"/>`);
    out.push(`<line x1="${pad.left}" y1="${y(t).toFixed(1)}" x2="${pad.left + plot}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${pad.top + plot + 15}" text-anchor="middle" fill="#555" font-size="11">${esc(fmtTick(t))}</text>`);
    out.push(`<text x="${pad.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#555" font-size="11">${esc(fmtTick(t))}</text>`);
  }
  out.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(scaleMax)}" y2="${y(scaleMax)}" stroke="${COLORS.goal}" stroke-dasharray="5,4"/>`);
  out.push(`<text x="${pad.left + plot / 2}" y="${height - 10}" text-anchor="middle" fill="#555" font-size="11">${esc(`requested (${o.unit})`)}</text>`);
  out.push(`<text x="14" y="${pad.top + plot / 2}" text-anchor="middle" fill="#555" font-size="11" transform="rotate(-90 14 ${pad.top + plot / 2})">${esc(`measured (${o.unit})`)}</text>`);
  // Labels right of a point in the left half of the plot, left of it in the
  // right half (so none runs off the edge); points at the same setting (read
  // and write, say) stack their labels instead of writing over each other.
  const seen = new Map<number, number>();
  for (const p of points) {
    const k = seen.get(p.requested) ?? 0;
    seen.set(p.requested, k + 1);
    const px = x(p.requested);
    const py = y(p.measured);
    const right = px < pad.left + plot * 0.5;
    const text = `${p.label}: ${fmtTick(Number(p.measured.toPrecision(4)))}`;
    out.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4.5" fill="${COLORS.bulkhead}"><title>${esc(`${p.label}: requested ${p.requested}, measured ${p.measured} ${o.unit}`)}</title></circle>`);
    out.push(
      `<text x="${(right ? px + 8 : px - 8).toFixed(1)}" y="${(right ? py - 6 - 13 * k : py + 16 + 13 * k).toFixed(1)}" text-anchor="${right ? 'start' : 'end'}" fill="#333" font-size="10.5" ${HALO}>${esc(text)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
