/**
 * GET /ui/models/{model}: the versions (a page of VERSIONS_PAGE, older ones through "show more"),
 * the stage history (who, when, why), the PSI of the latest REPORTS drift reports as a line with the
 * thresholds drawn, and links to each run in the Temporal Web UI. Every query reads a bounded number
 * of rows from the top of an index (migration 055).
 */
import { driftPolicyOf } from '../../catalog/drift-policy';
import {
  getModel,
  getVersion,
  listDriftReports,
  listStageEvents,
  listVersions,
  type DriftReportSummary,
  type ModelVersionSummary,
  type StageEvent,
} from '../../registry';
import { retrainCell, type UiDeps } from './deps';
import { formatNumber, formatTime, formatWindow } from './format';
import { html, type Html } from './html';
import { page, verdictText } from './layout';
import { uiPaths } from './links';
import { psiChart } from './psi-chart';

export const VERSIONS_PAGE = 50;
export const EVENTS_PAGE = 50;
/** drift reports on the chart and in the list: the latest windows */
export const REPORTS = 50;

export interface ModelPageQuery {
  /** versions older than this one (the "show more" link) */
  before?: number;
  /** stage events older than this id */
  eventsBefore?: number;
}

/** The page, or undefined when neither the registry nor MODELS_CONFIG knows the model. */
export async function modelPage(deps: UiDeps, model: string, q: ModelPageQuery): Promise<Html | undefined> {
  const declared = deps.declared.find((d) => d.name === model);
  const [registered, production, versions, events, reports, retrains] = await Promise.all([
    getModel(deps.pool, model),
    getVersion(deps.pool, model, 'production'),
    listVersions(deps.pool, model, VERSIONS_PAGE + 1, q.before),
    listStageEvents(deps.pool, model, EVENTS_PAGE + 1, q.eventsBefore),
    listDriftReports(deps.pool, model, REPORTS),
    deps.retrains.running(model),
  ]);
  if (!registered && !declared) return undefined;
  const w = deps.webUi;
  const policy = driftPolicyOf(declared, deps.drift);
  const metric = declared?.metric;

  const versionRow = (v: ModelVersionSummary) => html`<tr class="version" data-version="${v.version}">
<td class="num">v${v.version}</td>
<td class="stage stage-${v.stage}">${v.stage}</td>
<td>${v.algorithm}</td>
<td class="metrics">${Object.entries(v.metrics).map(([k, n], i) => html`${i ? ', ' : ''}<span class="${k === metric ? 'champion' : ''}">${k} ${formatNumber(n)}</span>`)}</td>
<td>${formatWindow(v.window)}</td>
<td>${formatTime(v.createdAt)}</td>
<td class="lineage"><a class="run-link" href="${w.run(v.workflowId, v.runId)}">${v.workflowId}</a>${
    v.driftReportId !== null
      ? html`<br>caused by <a class="report-link" href="${uiPaths.report(model, v.driftReportId)}">drift report ${v.driftReportId}</a>`
      : null
  }${v.rolledBackFrom !== null ? html`<br>rollback to v${v.rolledBackFrom}'s artifact` : null}</td>
<td>${v.servable === false ? html`<span class="verdict-drift" title="${v.servingProblem ?? ''}">not servable</span>` : v.servable ? 'yes' : '—'}</td>
</tr>`;

  const eventRow = (e: StageEvent) => html`<tr class="stage-event" data-event="${e.id}">
<td>${formatTime(e.at)}</td>
<td class="num">v${e.version}</td>
<td>${e.from ?? '—'} → <span class="stage-${e.to}">${e.to}</span></td>
<td class="reason">${e.reason}</td>
<td>${e.workflowId ? html`<a class="run-link" href="${w.workflow(e.workflowId)}">${e.workflowId}</a>` : html`<span class="muted">outside a workflow</span>`}</td>
</tr>`;

  const reportRow = (r: DriftReportSummary) => html`<tr class="report" data-report="${r.id}">
<td><a href="${uiPaths.report(model, r.id)}">${r.id}</a></td>
<td>${formatWindow(r.currentWindow)}</td>
<td class="num">v${r.version}</td>
<td class="num">${r.currentRows} / ${r.referenceRows}</td>
<td class="num">${formatNumber(r.maxPsi)}</td>
<td>${verdictText(r.verdict)}</td>
<td>${r.sensorRunId ? html`<a class="run-link" href="${w.run(r.sensorWorkflowId, r.sensorRunId)}">sensor run</a>` : html`<a class="run-link" href="${w.workflow(r.sensorWorkflowId)}">sensor</a>`}${
    r.retrainWorkflowId ? html`, <a class="run-link" href="${w.workflow(r.retrainWorkflowId)}">retrain</a>` : null
  }</td>
</tr>`;

  const shownVersions = versions.slice(0, VERSIONS_PAGE);
  const shownEvents = events.slice(0, EVENTS_PAGE);
  const chartPoints = [...reports].reverse().map((r) => ({
    reportId: r.id,
    at: r.currentWindow.end,
    psi: r.maxPsi,
    verdict: r.verdict,
    href: uiPaths.report(model, r.id),
  }));

  const body = html`<h1>${model}</h1>
<table class="summary">
<tr><th>production</th><td class="production">${production ? `v${production.version} (${production.algorithm}, promoted ${formatTime(production.promotedAt)})` : 'none'}</td></tr>
<tr><th>champion metric</th><td class="champion">${metric ? `${metric} ${production ? formatNumber(production.metrics[metric]) : '—'}` : html`<span class="muted">not declared in MODELS_CONFIG</span>`}</td></tr>
<tr><th>versions</th><td class="num">${registered?.latestVersion ?? 0}</td></tr>
<tr><th>drift thresholds</th><td>warn ${formatNumber(policy.warnThreshold)}, drift ${formatNumber(policy.driftThreshold)}, at least ${policy.minRows} rows${policy.sampleSizeAlpha !== undefined ? `, sample-size α ${policy.sampleSizeAlpha}` : ''}</td></tr>
<tr><th>retrain</th><td class="retrain">${retrains.known ? retrainCell(w, retrains.byModel.get(model)) : retrainCell(w, 'unknown', retrains.reason)}</td></tr>
<tr><th>runs</th><td><a class="runs-link" href="${w.query(`ModelName="${model}"`)}">every run of ${model} in the Temporal Web UI</a></td></tr>
</table>
${retrains.known ? null : html`<p class="unknown temporal-unknown">Temporal is unreachable, so whether a retrain is running is unknown: ${retrains.reason}</p>`}

<h2>Versions</h2>
<table class="versions">
<thead><tr><th>version</th><th>stage</th><th>algorithm</th><th>metrics</th><th>training window</th><th>registered</th><th>lineage</th><th>servable</th></tr></thead>
<tbody>
${shownVersions.map(versionRow)}
</tbody>
</table>
${shownVersions.length === 0 ? html`<p class="muted">No version yet.</p>` : null}
${versions.length > VERSIONS_PAGE ? html`<p><a class="more versions-more" href="${uiPaths.model(model, { before: shownVersions.at(-1)!.version, events_before: q.eventsBefore })}">show ${VERSIONS_PAGE} older versions →</a></p>` : null}

<h2>Stage history</h2>
<table class="stage-events">
<thead><tr><th>when</th><th>version</th><th>change</th><th>why</th><th>who</th></tr></thead>
<tbody>
${shownEvents.map(eventRow)}
</tbody>
</table>
${events.length > EVENTS_PAGE ? html`<p><a class="more events-more" href="${uiPaths.model(model, { before: q.before, events_before: shownEvents.at(-1)!.id })}">show older stage events →</a></p>` : null}

<h2>Drift</h2>
<p class="muted">Max PSI of the latest ${REPORTS} drift reports, by the end of their current window.</p>
${psiChart(chartPoints, { warn: policy.warnThreshold, drift: policy.driftThreshold })}
<table class="reports">
<thead><tr><th>report</th><th>current window</th><th>version</th><th>rows (current / reference)</th><th>max PSI</th><th>verdict</th><th>runs</th></tr></thead>
<tbody>
${reports.map(reportRow)}
</tbody>
</table>`;
  return page(model, html` / <a href="${uiPaths.model(model)}">${model}</a>`, body);
}
