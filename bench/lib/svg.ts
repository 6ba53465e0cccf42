// A grouped bar chart as a standalone SVG string (no dependencies, no script): enough for the
// benchmark's three plots. Bars start at zero; dashed horizontal lines mark thresholds.

export interface Bar { readonly label: string; readonly value: number }
export interface BarGroup { readonly label: string; readonly bars: readonly Bar[] }
export interface Threshold { readonly value: number; readonly label: string }

export interface BarChart {
  readonly title: string;
  /** The y axis label, with its unit: "rows/s", "MiB". */
  readonly yLabel: string;
  readonly groups: readonly BarGroup[];
  readonly thresholds?: readonly Threshold[];
  /** How a value is printed above its bar and on the axis. */
  readonly format: (value: number) => string;
}

const WIDTH = 640;
const HEIGHT = 360;
const PAD = { top: 48, right: 24, bottom: 64, left: 88 };
const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'];

const esc = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** A round axis maximum at or above `max`: 1, 2, 2.5 or 5 times a power of ten. */
function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 2.5, 5, 10].map((m) => m * power).find((v) => v >= max) ?? 10 * power);
}

export function barChartSvg(chart: BarChart): string {
  const values = [...chart.groups.flatMap((g) => g.bars.map((b) => b.value)), ...(chart.thresholds ?? []).map((t) => t.value)];
  const top = niceCeiling(Math.max(0, ...values.filter(Number.isFinite)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const y = (v: number): number => PAD.top + plotH - (v / top) * plotH;
  const seriesNames = [...new Set(chart.groups.flatMap((g) => g.bars.map((b) => b.label)))];
  const groupW = plotW / Math.max(1, chart.groups.length);
  const barW = Math.min(72, (groupW * 0.7) / Math.max(1, seriesNames.length));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`,
    `<text transform="translate(18 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${esc(chart.format(v))}</text>`);
  }
  chart.groups.forEach((group, g) => {
    const x0 = PAD.left + g * groupW + (groupW - barW * group.bars.length) / 2;
    group.bars.forEach((bar, b) => {
      const x = x0 + b * barW;
      const colour = COLOURS[seriesNames.indexOf(bar.label) % COLOURS.length] ?? COLOURS[0];
      const h = Number.isFinite(bar.value) ? Math.max(0, PAD.top + plotH - y(bar.value)) : 0;
      out.push(`<rect x="${x + 2}" y="${PAD.top + plotH - h}" width="${barW - 4}" height="${h}" fill="${colour}"><title>${esc(`${group.label} ${bar.label}: ${chart.format(bar.value)}`)}</title></rect>`,
        `<text x="${x + barW / 2}" y="${PAD.top + plotH - h - 4}" text-anchor="middle" font-size="11">${esc(chart.format(bar.value))}</text>`);
    });
    out.push(`<text x="${PAD.left + g * groupW + groupW / 2}" y="${PAD.top + plotH + 18}" text-anchor="middle">${esc(group.label)}</text>`);
  });
  for (const t of chart.thresholds ?? []) {
    out.push(`<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y(t.value)}" y2="${y(t.value)}" stroke="#c00" stroke-dasharray="6 4"/>`,
      `<text x="${PAD.left + plotW - 4}" y="${y(t.value) - 4}" text-anchor="end" fill="#c00">${esc(t.label)}</text>`);
  }
  out.push(`<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#333"/>`,
    `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" stroke="#333"/>`);
  if (seriesNames.length > 1) {
    seriesNames.forEach((name, i) => {
      const x = PAD.left + i * 180;
      out.push(`<rect x="${x}" y="${HEIGHT - 22}" width="12" height="12" fill="${COLOURS[i % COLOURS.length] ?? COLOURS[0]}"/>`,
        `<text x="${x + 18}" y="${HEIGHT - 12}">${esc(name)}</text>`);
    });
  }
  out.push('</svg>', '');
  return out.join('\n');
}
