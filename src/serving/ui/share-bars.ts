/**
 * A feature's reference against current shares as paired horizontal bars, one pair per stored bin
 * (numeric ranges, or categories by name, then __unseen__ and __null__). One row per bin keeps a
 * 50-category feature readable. Plain SVG.
 */
import type { FeatureDrift } from '../../shared/drift';
import { formatShare } from './format';
import { html, type Html } from './html';

const LABEL_W = 190;
const BAR_W = 420;
const ROW_H = 24;
const BAR_H = 9;

export function shareBars(feature: string, drift: FeatureDrift): Html {
  const bins = drift.bins;
  const top = Math.max(1e-9, ...drift.expected, ...drift.actual);
  const width = (share: number) => ((Math.max(0, share) / top) * BAR_W).toFixed(1);
  const height = bins.length * ROW_H + 4;
  return html`<svg class="share-bars" data-feature="${feature}" width="${LABEL_W + BAR_W + 130}" height="${height}" viewBox="0 0 ${LABEL_W + BAR_W + 130} ${height}" role="img" aria-label="reference and current shares of ${feature}">
${bins.map((bin, i) => {
  const y = i * ROW_H + 2;
  const ref = drift.expected[i] ?? 0;
  const cur = drift.actual[i] ?? 0;
  return html`<g class="bin" data-bin="${bin}">
<text class="bin-label" x="${LABEL_W - 8}" y="${y + BAR_H + 4}" text-anchor="end">${bin.length > 30 ? `${bin.slice(0, 29)}…` : bin}<title>${bin}</title></text>
<rect class="bar-reference" x="${LABEL_W}" y="${y}" width="${width(ref)}" height="${BAR_H}" fill="#8c959f"><title>${bin}: reference ${formatShare(ref)}</title></rect>
<rect class="bar-current" x="${LABEL_W}" y="${y + BAR_H + 1}" width="${width(cur)}" height="${BAR_H}" fill="#0a58ca"><title>${bin}: current ${formatShare(cur)}</title></rect>
<text x="${LABEL_W + BAR_W + 6}" y="${y + BAR_H + 4}">${formatShare(ref)} → ${formatShare(cur)}</text>
</g>`;
})}
</svg>`;
}
