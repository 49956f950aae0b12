/** What the model pages read: the registry, Temporal's visibility, the declared models and the drift settings. */
import type { Pool } from 'pg';
import type { DriftConfig } from '../../config';
import type { ModelDeclaration } from '../../shared/model-declaration';
import type { WebUi } from './links';
import type { RetrainStatus, RetrainVisibility } from './retrains';
import { html, type Html } from './html';
import { formatTime } from './format';

export interface UiDeps {
  pool: Pick<Pool, 'query'>;
  retrains: RetrainVisibility;
  /** MODELS_CONFIG: each model's champion metric and drift thresholds */
  declared: readonly ModelDeclaration[];
  drift: DriftConfig;
  webUi: WebUi;
}

/** The "retrain" cell: each running retrain (linked to the run) with its RetrainState, how many wait for a training slot, none, or unknown. */
export function retrainCell(webUi: WebUi, status: RetrainStatus | undefined | 'unknown', reason?: string): Html {
  if (status === 'unknown') return html`<span class="unknown retrain-unknown" title="${reason ?? ''}">unknown</span>`;
  const running = status?.running ?? [];
  const parts: Html[] = running.map(
    (r) =>
      html`<a class="retrain-running" href="${webUi.run(r.workflowId, r.runId)}">running since ${formatTime(r.startTime)}${r.state ? `: ${r.state}` : ''}</a>`,
  );
  if (status?.queued)
    parts.push(html`<span class="retrain-queued">${status.queued} waiting for a training slot</span>`);
  return parts.length
    ? html`${parts.map((p, i) => html`${i ? ', ' : ''}${p}`)}`
    : html`<span class="muted retrain-none">none</span>`;
}
