/** GET /ui/: every model with its production version, champion metric, last drift verdict, sensor and retrain. */
import { listModelOverviews, type ModelOverview } from '../../registry';
import type { UiDeps } from './deps';
import { retrainCell } from './deps';
import { formatAgo, formatNumber, formatTime } from './format';
import { html, type Html } from './html';
import { page, verdictText } from './layout';
import { uiPaths } from './links';

/** models per page: one query reads PAGE + 1 rows to know whether there is a next page */
export const OVERVIEW_PAGE = 200;

export async function overviewPage(deps: UiDeps, after: string | undefined, now = Date.now()): Promise<Html> {
  const [rows, retrains] = await Promise.all([
    listModelOverviews(deps.pool, OVERVIEW_PAGE + 1, after),
    deps.retrains.running(),
  ]);
  const more = rows.length > OVERVIEW_PAGE;
  const models = rows.slice(0, OVERVIEW_PAGE);
  const metricOf = new Map(deps.declared.map((d) => [d.name, d.metric]));
  const inRegistry = new Set(models.map((m) => m.model));
  // declared models the registry has never seen (no version yet): listed once, on the first page
  const declaredOnly = after
    ? []
    : deps.declared.map((d) => d.name).filter((n) => !inRegistry.has(n) && (more ? n < models.at(-1)!.model : true));

  const row = (m: ModelOverview) => {
    const metric = metricOf.get(m.model);
    const value = metric && m.production ? m.production.metrics[metric] : undefined;
    const r = m.lastReport;
    return html`<tr data-model="${m.model}">
<td><a class="model-link" href="${uiPaths.model(m.model)}">${m.model}</a></td>
<td class="num production">${m.production ? `v${m.production.version}` : html`<span class="muted">none</span>`}</td>
<td>${m.production?.algorithm ?? '—'}</td>
<td class="champion">${metric ? `${metric} ${formatNumber(value)}` : html`<span class="muted" title="not declared in MODELS_CONFIG">—</span>`}</td>
<td class="num">${m.latestVersion}</td>
<td class="verdict">${r ? html`<a href="${uiPaths.report(m.model, r.id)}">${verdictText(r.verdict)}</a>` : html`<span class="muted">no report</span>`}</td>
<td class="num max-psi">${formatNumber(r?.maxPsi)}</td>
<td class="sensor">${r ? html`${formatTime(r.createdAt)} <span class="muted">(${formatAgo(r.createdAt, now)})</span>` : '—'}</td>
<td class="retrain">${retrains.known ? retrainCell(deps.webUi, retrains.byModel.get(m.model)) : retrainCell(deps.webUi, 'unknown', retrains.reason)}</td>
</tr>`;
  };

  const body = html`<h1>Models</h1>
${retrains.known ? null : html`<p class="unknown temporal-unknown">Temporal is unreachable, so whether a retrain is running is unknown: ${retrains.reason}</p>`}
<table class="models">
<thead><tr><th>model</th><th>production</th><th>algorithm</th><th>champion metric</th><th>versions</th><th>last drift verdict</th><th>max PSI</th><th>sensor last ran</th><th>retrain</th></tr></thead>
<tbody>
${models.map(row)}
</tbody>
</table>
${models.length === 0 ? html`<p class="muted">The registry has no model yet.</p>` : null}
${more ? html`<p><a class="more" href="${uiPaths.overview(models.at(-1)!.model)}">next ${OVERVIEW_PAGE} models →</a></p>` : null}
${declaredOnly.length ? html`<p class="muted declared-only">Declared in MODELS_CONFIG, no version yet: ${declaredOnly.map((n, i) => html`${i ? ', ' : ''}<a href="${uiPaths.model(n)}">${n}</a>`)}</p>` : null}`;
  return page('Models', null, body);
}
