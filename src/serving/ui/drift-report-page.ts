/**
 * GET /ui/models/{model}/drift/{report}: per feature, sorted by PSI (highest first), the reference
 * against the current shares as paired bars over the bins the report stored (numeric ranges, or
 * categories by name, then __unseen__ and __null__), with PSI, verdict and the thresholds applied.
 */
import { getDriftReport } from '../../registry';
import type { FeatureDrift } from '../../shared/drift';
import type { UiDeps } from './deps';
import { formatNumber, formatTime, formatWindow } from './format';
import { html, type Html } from './html';
import { page, verdictText } from './layout';
import { uiPaths } from './links';
import { shareBars } from './share-bars';

/** The page, or undefined when `model` has no report `id`. */
export async function driftReportPage(deps: UiDeps, model: string, id: number): Promise<Html | undefined> {
  const report = await getDriftReport(deps.pool, model, id);
  if (!report) return undefined;
  const w = deps.webUi;
  const features = Object.entries(report.features).sort((a, b) => b[1].psi - a[1].psi || (a[0] < b[0] ? -1 : 1));

  const summaryRow = (
    [name, f]: [string, FeatureDrift],
    i: number,
  ) => html`<tr class="feature-row" data-feature="${name}">
<td><a href="#feature-${i}" class="feature-name">${name}</a></td><td>${f.kind}</td><td class="num psi">${formatNumber(f.psi)}</td>
<td class="verdict">${verdictText(f.verdict)}</td><td class="num">${formatNumber(f.warnThreshold)} / ${formatNumber(f.driftThreshold)}</td><td class="num">${f.bins.length}</td></tr>`;

  const section = (
    [name, f]: [string, FeatureDrift],
    i: number,
  ) => html`<section class="feature" id="feature-${i}" data-feature="${name}" data-bins="${f.bins.length}">
<h3><span class="feature-title">${name}</span> <span class="muted">${f.kind}, PSI ${formatNumber(f.psi)}</span> ${verdictText(f.verdict)}</h3>
${shareBars(name, f)}
</section>`;

  const body = html`<h1>Drift report ${report.id} of ${model}</h1>
<table class="summary">
<tr><th>verdict</th><td class="report-verdict">${verdictText(report.verdict)}</td></tr>
<tr><th>max PSI</th><td class="num">${formatNumber(report.maxPsi)}</td></tr>
<tr><th>version</th><td>v${report.version}</td></tr>
<tr><th>reference window</th><td>${formatWindow(report.referenceWindow)} (${report.referenceRows} rows)</td></tr>
<tr><th>current window</th><td>${formatWindow(report.currentWindow)} (${report.currentRows} rows)</td></tr>
<tr><th>written</th><td>${formatTime(report.createdAt)}</td></tr>
<tr><th>sensor run</th><td><a class="run-link" href="${report.sensorRunId ? w.run(report.sensorWorkflowId, report.sensorRunId) : w.workflow(report.sensorWorkflowId)}">${report.sensorWorkflowId}</a></td></tr>
<tr><th>retrain started</th><td>${report.retrainWorkflowId ? html`<a class="run-link" href="${w.workflow(report.retrainWorkflowId)}">${report.retrainWorkflowId}</a>` : html`<span class="muted">none</span>`}</td></tr>
</table>
<h2>Features by PSI</h2>
<p class="legend"><span style="background:#8c959f"></span>reference (training window)<span style="background:#0a58ca"></span>current window</p>
<table class="features">
<thead><tr><th>feature</th><th>kind</th><th>PSI</th><th>verdict</th><th>warn / drift</th><th>bins</th></tr></thead>
<tbody>
${features.map(summaryRow)}
</tbody>
</table>
${features.map(section)}`;
  return page(
    `Drift report ${report.id} of ${model}`,
    html` / <a href="${uiPaths.model(model)}">${model}</a> / drift report ${report.id}`,
    body,
  );
}
