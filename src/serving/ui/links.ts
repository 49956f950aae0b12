/**
 * Where the pages link: their own paths (under /ui/, the same behind nginx, which does not strip it)
 * and the Temporal Web UI's pages of a run (base SERVE_UI_TEMPORAL_URL, namespace TEMPORAL_NAMESPACE).
 */

export const uiPaths = {
  overview: (after?: string) => `/ui/${after ? `?after=${encodeURIComponent(after)}` : ''}`,
  model: (model: string, query: Record<string, number | undefined> = {}) => {
    const q = Object.entries(query).filter((e): e is [string, number] => e[1] !== undefined);
    return `/ui/models/${encodeURIComponent(model)}${q.length ? `?${q.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`;
  },
  report: (model: string, id: number) => `/ui/models/${encodeURIComponent(model)}/drift/${id}`,
};

export interface WebUi {
  /** one run's history */
  run(workflowId: string, runId: string): string;
  /** every run of a workflow id (when the run id was not recorded) */
  workflow(workflowId: string): string;
  /** runs matching a visibility query */
  query(query: string): string;
}

/** `base`: SERVE_UI_TEMPORAL_URL without its trailing slash ('' for the same host). */
export function webUi(base: string, namespace: string): WebUi {
  const ns = `${base}/namespaces/${encodeURIComponent(namespace)}`;
  const query = (q: string) => `${ns}/workflows?query=${encodeURIComponent(q)}`;
  return {
    run: (workflowId, runId) =>
      `${ns}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`,
    workflow: (workflowId) => query(`WorkflowId="${workflowId.replace(/["\\]/g, '\\$&')}"`),
    query,
  };
}
