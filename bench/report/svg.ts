// Hand-written SVG charts (no plotting library): a line/scatter chart with linear or log axes,
// and a bar chart. Output is a standalone SVG string that renders on GitHub.

export interface Point { x: number; y: number; label?: string }
export interface Series { name: string; points: Point[]; dashed?: boolean; color?: string; /** Points without a connecting line. */ markersOnly?: boolean; /** Marker shape. */ marker?: 'circle' | 'square' }

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  series: Series[];
  /** Custom tick labels for the x axis (value -> text), e.g. percentiles. */
  xTicks?: Array<{ value: number; text: string }>;
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a === 0) return '0';
  return String(+v.toPrecision(3));
}

/** "Nice" linear ticks covering [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  // From the last tick at or below lo to the first at or above hi, so the data always fits.
  const out: number[] = [];
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  for (let k = first; k <= last; k++) out.push(+(k * step).toPrecision(12));
  return out;
}

/** The largest 1-2-5 value <= v (down) or the smallest >= v (up); v > 0. */
function round125(v: number, up: boolean): number {
  const e = Math.floor(Math.log10(v));
  const steps = [1, 2, 5, 10].map((m) => m * 10 ** e);
  if (up) return steps.find((x) => x >= v * 0.9999) ?? 10 ** (e + 1);
  return [...steps].reverse().find((x) => x <= v * 1.0001) ?? 10 ** e;
}

/** 1-2-5 ticks for a log axis over [lo, hi] (both > 0). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const decades = Math.log10(hi) - Math.log10(lo);
  const steps = decades > 4 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

interface Axis { toPx(v: number): number; ticks: number[] }

function axis(values: number[], log: boolean, pxFrom: number, pxTo: number, zeroBased: boolean): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = finite.length ? Math.min(...finite) : 1;
  let hi = finite.length ? Math.max(...finite) : 10;
  if (log) {
    lo = round125(lo, false);
    hi = round125(hi, true);
    if (hi <= lo) hi = round125(lo * 1.5, true);
    const l0 = Math.log10(lo), l1 = Math.log10(hi);
    return { toPx: (v) => pxFrom + ((Math.log10(Math.max(v, lo)) - l0) / (l1 - l0)) * (pxTo - pxFrom), ticks: logTicks(lo, hi) };
  }
  if (zeroBased) lo = Math.min(0, lo);
  if (hi <= lo) hi = lo + 1;
  const ticks = linearTicks(lo, hi);
  const tHi = ticks[ticks.length - 1]!, tLo = ticks[0]!;
  return { toPx: (v) => pxFrom + ((v - tLo) / (tHi - tLo)) * (pxTo - pxFrom), ticks };
}

export function lineChart(spec: LineChartSpec): string {
  const W = spec.width ?? 820, H = spec.height ?? 420;
  const m = { left: 72, right: 250, top: 40, bottom: 56 };
  const all = spec.series.flatMap((s) => s.points);
  const xa = axis(all.map((p) => p.x).concat(spec.xTicks?.map((t) => t.value) ?? []), !!spec.xLog, m.left, W - m.right, true);
  const ya = axis(all.map((p) => p.y), !!spec.yLog, H - m.bottom, m.top, true);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2 - m.right / 2 + m.left / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(spec.title)}</text>`);
  const xt = spec.xTicks ?? xa.ticks.map((v) => ({ value: v, text: formatTick(v) }));
  for (const t of xt) {
    const x = xa.toPx(t.value);
    parts.push(`<line x1="${x.toFixed(1)}" y1="${m.top}" x2="${x.toFixed(1)}" y2="${H - m.bottom}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle">${esc(t.text)}</text>`);
  }
  for (const v of ya.ticks) {
    const y = ya.toPx(v);
    parts.push(`<line x1="${m.left}" y1="${y.toFixed(1)}" x2="${W - m.right}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${formatTick(v)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 14}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.xLog || p.x > 0) && (!spec.yLog || p.y > 0));
    if (pts.length > 1 && !s.markersOnly) {
      const d = pts.map((p, k) => `${k === 0 ? 'M' : 'L'}${xa.toPx(p.x).toFixed(1)},${ya.toPx(p.y).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    for (const p of pts) {
      const cx = xa.toPx(p.x), cy = ya.toPx(p.y);
      const title = `<title>${esc(`${s.name}: ${p.label ?? ''} x=${formatTick(p.x)} y=${formatTick(p.y)}`)}</title>`;
      parts.push(s.marker === 'square'
        ? `<rect x="${(cx - 4).toFixed(1)}" y="${(cy - 4).toFixed(1)}" width="8" height="8" fill="none" stroke="${color}" stroke-width="2">${title}</rect>`
        : `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="3.5" fill="${color}">${title}</circle>`);
    }
    const ly = m.top + 8 + i * 18;
    if (s.markersOnly) {
      parts.push(s.marker === 'square'
        ? `<rect x="${W - m.right + 20}" y="${ly - 4}" width="8" height="8" fill="none" stroke="${color}" stroke-width="2"/>`
        : `<circle cx="${W - m.right + 24}" cy="${ly}" r="3.5" fill="${color}"/>`);
    } else {
      parts.push(`<line x1="${W - m.right + 12}" y1="${ly}" x2="${W - m.right + 36}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    parts.push(`<text x="${W - m.right + 42}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  if (all.length === 0) parts.push(`<text x="${(m.left + W - m.right) / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export interface BarChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  bars: Array<{ label: string; value: number }>;
  note?: string;
  width?: number;
  height?: number;
}

export function barChart(spec: BarChartSpec): string {
  const W = spec.width ?? 760, H = spec.height ?? 380;
  const m = { left: 72, right: 24, top: 40, bottom: 64 };
  const max = Math.max(1, ...spec.bars.map((b) => b.value));
  const ticks = linearTicks(0, max);
  const top = ticks[ticks.length - 1]!;
  const toY = (v: number): number => H - m.bottom - (v / top) * (H - m.top - m.bottom);
  const slot = (W - m.left - m.right) / Math.max(1, spec.bars.length);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(spec.title)}</text>`);
  for (const v of ticks) {
    parts.push(`<line x1="${m.left}" y1="${toY(v).toFixed(1)}" x2="${W - m.right}" y2="${toY(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(toY(v) + 4).toFixed(1)}" text-anchor="end">${formatTick(v)}</text>`);
  }
  spec.bars.forEach((b, i) => {
    const x = m.left + i * slot + slot * 0.15;
    const y = toY(b.value);
    parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${(H - m.bottom - y).toFixed(1)}" fill="${PALETTE[0]}"><title>${esc(`${b.label}: ${b.value}`)}</title></rect>`);
    parts.push(`<text x="${(x + slot * 0.35).toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle">${esc(b.label)}</text>`);
  });
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 30}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  if (spec.note) parts.push(`<text x="${W / 2}" y="${H - 10}" text-anchor="middle" fill="#666">${esc(spec.note)}</text>`);
  if (spec.bars.length === 0) parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
