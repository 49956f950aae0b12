/**
 * The model page's PSI line: each report's max PSI, oldest to newest, with the warn and drift
 * thresholds as dashed lines. Plain SVG (a chart library would add a script or a build step for one
 * line). Each point links to its report.
 */
import { formatNumber, formatTime } from './format';
import { html, type Html } from './html';

export interface PsiPoint {
  reportId: number;
  /** the end of the report's current window */
  at: string;
  psi: number | null;
  verdict: string;
  href: string;
}

const W = 760;
const H = 220;
const PAD = { left: 48, right: 90, top: 12, bottom: 28 };

export function psiChart(points: PsiPoint[], thresholds: { warn: number; drift: number }): Html {
  const plotted = points.filter((p): p is PsiPoint & { psi: number } => p.psi !== null && Number.isFinite(p.psi));
  if (plotted.length === 0) return html`<p class="muted">No drift report with a PSI yet.</p>`;
  const top = Math.max(thresholds.drift * 1.25, ...plotted.map((p) => p.psi)) || 1;
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (plotted.length === 1 ? iw / 2 : (i * iw) / (plotted.length - 1));
  const y = (v: number) => PAD.top + ih - (v / top) * ih;
  const f = (n: number) => n.toFixed(1);
  const line = plotted.map((p, i) => `${f(x(i))},${f(y(p.psi))}`).join(' ');
  const threshold = (name: string, value: number, color: string) =>
    html`<line class="threshold threshold-${name}" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(value))}" y2="${f(y(value))}" stroke="${color}" stroke-dasharray="5 4"/>
<text x="${W - PAD.right + 6}" y="${f(y(value) + 4)}">${name} ${formatNumber(value)}</text>`;
  return html`<svg class="psi-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="max PSI of the last ${plotted.length} drift reports">
<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + ih}" stroke="#8c959f"/>
<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${PAD.top + ih}" y2="${PAD.top + ih}" stroke="#8c959f"/>
<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${formatNumber(top)}</text>
<text x="${PAD.left - 6}" y="${PAD.top + ih + 4}" text-anchor="end">0</text>
<text x="${PAD.left}" y="${H - 8}">${formatTime(plotted[0]!.at)}</text>
<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${formatTime(plotted.at(-1)!.at)}</text>
${threshold('warn', thresholds.warn, '#bf8700')}
${threshold('drift', thresholds.drift, '#cf222e')}
<polyline class="psi-line" points="${line}" fill="none" stroke="#0a58ca" stroke-width="1.5"/>
${plotted.map(
  (p, i) =>
    html`<a href="${p.href}"><circle class="psi-point verdict-${p.verdict}" data-report="${p.reportId}" cx="${f(x(i))}" cy="${f(y(p.psi))}" r="3.5" fill="#0a58ca"><title>report ${p.reportId}: PSI ${formatNumber(p.psi)} (${p.verdict}), window ending ${formatTime(p.at)}</title></circle></a>`,
)}
</svg>`;
}
