// The dashboard page: plain HTML with the charts drawn here as inline SVG, so it needs no script,
// no chart library and no network. Every chart is a <figure data-chart=… data-points=…> and every
// bar a <rect data-label=… data-value=…> with a <title>, which is what tests (and people) read.
import type { DashboardData } from './dashboard.js';

interface Point { readonly label: string; readonly tick: string; readonly value: number; readonly title: string }

interface Chart {
  readonly id: string;
  readonly title: string;
  readonly note: string;
  /** columns: vertical bars along an ordered axis; bars: horizontal bars, one labelled row each. */
  readonly kind: 'columns' | 'bars';
  readonly color: string;
  readonly points: readonly Point[];
  readonly format: (value: number) => string;
}

const WIDTH = 720;
const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const count = (n: number): string => n.toLocaleString('en-US');
const usd = (n: number): string => `$${n.toLocaleString('en-US', { maximumFractionDigits: 0 })}`;
const compact = (n: number): string => new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n);

/** A round axis top and step (1, 2, 2.5 or 5 times a power of ten) for about four gridlines. */
function axis(max: number): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)) ?? 10 * power;
  return { top: Math.ceil(max / step) * step, step };
}

function bar(x: number, y: number, w: number, h: number, p: Point, color: string): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${color}" `
    + `data-label="${escape(p.label)}" data-value="${p.value}"><title>${escape(p.title)}</title></rect>`;
}

function columns(chart: Chart): string {
  const [left, right, top, bottom, height] = [60, 12, 18, 34, 260];
  const plotW = WIDTH - left - right;
  const plotH = height - top - bottom;
  const { top: max, step } = axis(Math.max(...chart.points.map((p) => p.value)));
  const slot = plotW / chart.points.length;
  const every = Math.ceil(chart.points.length / 16);
  const parts: string[] = [];
  for (let v = 0; v <= max + step / 2; v += step) {
    const y = top + plotH - (v / max) * plotH;
    parts.push(`<line x1="${left}" x2="${WIDTH - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/>`,
      `<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="axis">${escape(compact(v))}</text>`);
  }
  chart.points.forEach((p, i) => {
    const h = Math.max(p.value / max, 0) * plotH;
    const x = left + i * slot;
    parts.push(bar(x + slot * 0.15, top + plotH - h, slot * 0.7, h, p, chart.color));
    // The value over its column: in full when it fits (about 6 px a character), else compact (1.9K).
    const label = chart.format(p.value).length * 6 <= slot ? chart.format(p.value) : compact(p.value);
    if (slot >= 18) parts.push(`<text x="${(x + slot / 2).toFixed(1)}" y="${(top + plotH - h - 4).toFixed(1)}" text-anchor="middle" class="value">${escape(label)}</text>`);
    if (i % every === 0) parts.push(`<text x="${(x + slot / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" class="axis">${escape(p.tick)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${WIDTH - right}" y1="${top + plotH}" y2="${top + plotH}" class="baseline"/>`);
  return svg(chart, height, parts);
}

function bars(chart: Chart): string {
  const [labelW, valueW, rowH] = [210, 96, 26];
  const height = chart.points.length * rowH + 8;
  const max = Math.max(...chart.points.map((p) => p.value), 0) || 1;
  const parts = chart.points.flatMap((p, i) => {
    const y = 4 + i * rowH;
    const w = Math.max((p.value / max) * (WIDTH - labelW - valueW), 1);
    return [
      `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end" class="label">${escape(p.tick)}</text>`,
      bar(labelW, y + 3, w, rowH - 6, p, chart.color),
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 17}" class="value">${escape(chart.format(p.value))}</text>`,
    ];
  });
  return svg(chart, height, parts);
}

function svg(chart: Chart, height: number, parts: string[]): string {
  return `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escape(chart.title)}">${parts.join('')}</svg>`;
}

function figure(chart: Chart): string {
  const total = chart.points.reduce((s, p) => s + p.value, 0);
  const body = chart.points.length === 0 ? '<p class="empty">no data yet</p>' : chart.kind === 'columns' ? columns(chart) : bars(chart);
  return `<figure class="chart" id="${chart.id}" data-chart="${chart.id}" data-points="${chart.points.length}" data-total="${total}">`
    + `<figcaption><h2>${escape(chart.title)}</h2><p>${escape(chart.note)}</p></figcaption>${body}</figure>`;
}

function charts(d: DashboardData): Chart[] {
  return [
    { id: 'trips-per-day', title: 'Trips per day', note: 'trips in the warehouse by pickup date', kind: 'columns', color: '#2f6db5', format: count,
      points: d.tripsPerDay.map((r) => ({ label: r.date, tick: r.date.slice(5), value: r.trips, title: `${r.date}: ${count(r.trips)} trips` })) },
    { id: 'revenue-by-payment-type', title: 'Revenue by payment type', note: 'sum of total_amount, USD', kind: 'bars', color: '#2e8b57', format: usd,
      points: d.revenueByPaymentType.map((r) => ({ label: r.label, tick: r.label, value: r.revenueUsd, title: `${r.label}: ${usd(r.revenueUsd)} over ${count(r.trips)} trips` })) },
    { id: 'top-pickup-zones', title: 'Top pickup zones', note: 'the ten zones with the most pickups', kind: 'bars', color: '#c07a12', format: count,
      points: d.topPickupZones.map((r) => ({ label: r.zone, tick: r.zone, value: r.trips, title: `${r.zone}${r.borough ? ` (${r.borough})` : ''}: ${count(r.trips)} trips` })) },
    { id: 'speed-by-hour', title: 'Average speed by hour', note: 'miles driven / hours driven, by pickup hour, mph', kind: 'columns', color: '#7b4fb0', format: (v) => v.toFixed(1),
      points: d.speedByHour.map((r) => ({ label: String(r.hour), tick: String(r.hour), value: r.mph, title: `${r.hour}:00-${r.hour}:59: ${r.mph.toFixed(1)} mph over ${count(r.trips)} trips` })) },
    { id: 'rejects-by-reason', title: 'Rejects by reason', note: 'rows sent to the dead-letter queue instead of the warehouse', kind: 'bars', color: '#c0392b', format: count,
      points: d.rejectsByReason.map((r) => ({ label: r.reason, tick: r.reason, value: r.rows, title: `${r.reason}: ${count(r.rows)} rows` })) },
  ];
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{padding:16px 24px;background:#1d2330;color:#fff}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#b8c0cc}
.stats{display:flex;gap:12px;padding:16px 24px 0;flex-wrap:wrap}.stat{background:#fff;border-radius:6px;padding:8px 16px}
.stat b{display:block;font-size:20px}main{display:grid;grid-template-columns:repeat(auto-fit,minmax(620px,1fr));gap:16px;padding:16px 24px}
figure{margin:0;background:#fff;border-radius:6px;padding:12px 16px}figcaption h2{margin:0;font-size:16px}figcaption p{margin:2px 0 8px;color:#667}
svg{width:100%;height:auto}text{font-size:11px;fill:#333}.axis{fill:#667}.value{font-size:10px}.label{font-size:12px}
.grid{stroke:#e3e6ea}.baseline{stroke:#999}rect:hover{opacity:.8}.empty{color:#667}`;

/** The whole page for one snapshot of the data. */
export function renderDashboard(d: DashboardData): string {
  const sum = (values: number[]): number => values.reduce((s, v) => s + v, 0);
  const stats: [string, string, string][] = [
    ['trips', 'trips', count(sum(d.tripsPerDay.map((r) => r.trips)))],
    ['revenue', 'revenue', usd(sum(d.revenueByPaymentType.map((r) => r.revenueUsd)))],
    ['days', 'pickup days', count(d.tripsPerDay.length)],
    ['rejects', 'rejected rows', count(sum(d.rejectsByReason.map((r) => r.rows)))],
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>taxi-stream dashboard</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head><body>
<header><h1>NYC taxi trips</h1><p>warehouse ${escape(d.warehouse.name)}${d.warehouse.location ? ` at ${escape(d.warehouse.location)}` : ''}, as of ${escape(d.generatedAt)} · <a href="/dashboard/data.json" style="color:#9cc3ff">data.json</a></p></header>
<section class="stats">${stats.map(([key, label, value]) => `<div class="stat" data-stat="${key}"><b>${escape(value)}</b>${escape(label)}</div>`).join('')}</section>
<main>${charts(d).map(figure).join('\n')}</main></body></html>
`;
}
