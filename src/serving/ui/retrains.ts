/**
 * Which retrains are running, from Temporal's visibility (`WorkflowType="retrainModel" AND
 * ExecutionStatus="Running"`, grouped by the ModelName search attribute). The service connects
 * lazily, on the first page that asks, through src/temporal-connection.ts (TLS, API key, namespace of
 * the configured profile). When Temporal cannot be reached the answer is `unknown` with the reason,
 * and the pages still render; after a failure it waits RETRY_AFTER_MS before trying again, so a
 * down Temporal costs one page one connect timeout, not every page.
 */
import { Client, type Connection } from '@temporalio/client';
import type { TemporalConfig } from '../../config';
import { ModelName, RetrainState } from '../../shared/search-attributes';
import { connectClientConnection } from '../../temporal-connection';

export interface RunningRetrain {
  model: string;
  workflowId: string;
  runId: string;
  startTime: string;
  /** the run's RetrainState search attribute (queued, training, …), when it has set one */
  state?: string;
}

/** A model's running retrains, and how many of them wait for a training slot (RetrainState="queued"). */
export interface RetrainStatus {
  running: RunningRetrain[];
  queued: number;
}

export type RetrainAnswer = { known: true; byModel: Map<string, RetrainStatus> } | { known: false; reason: string };

export interface RetrainVisibility {
  /** running retrains of `model`, or of every model (at most MAX_LISTED) */
  running(model?: string): Promise<RetrainAnswer>;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 3000;
const LIST_TIMEOUT_MS = 3000;
const RETRY_AFTER_MS = 10_000;
/** more running retrains than this is a fleet; the overview shows the first ones */
const MAX_LISTED = 2000;

export function retrainVisibility(temporal: TemporalConfig): RetrainVisibility {
  let connection: Promise<Connection> | undefined;
  let failed: { at: number; reason: string } | undefined;

  const connect = (): Promise<Connection> => {
    connection ??= connectClientConnection(temporal, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
    return connection;
  };

  return {
    async running(model) {
      if (failed && Date.now() - failed.at < RETRY_AFTER_MS) return { known: false, reason: failed.reason };
      try {
        const conn = await connect();
        const client = new Client({ connection: conn, namespace: temporal.namespace });
        // model names are checked against MODEL_NAME before they get here: no quote can reach the query
        const query = `WorkflowType="retrainModel" AND ExecutionStatus="Running"${model ? ` AND ModelName="${model}"` : ''}`;
        const byModel = new Map<string, RetrainStatus>();
        await conn.withDeadline(Date.now() + LIST_TIMEOUT_MS, async () => {
          let n = 0;
          for await (const w of client.workflow.list({ query, pageSize: 500 })) {
            const name = w.typedSearchAttributes.get(ModelName);
            if (name === undefined) continue;
            const status = byModel.get(name) ?? { running: [], queued: 0 };
            const state = w.typedSearchAttributes.get(RetrainState);
            status.running.push({
              model: name,
              workflowId: w.workflowId,
              runId: w.runId,
              startTime: w.startTime.toISOString(),
              ...(state ? { state } : {}),
            });
            if (state === 'queued') status.queued += 1;
            byModel.set(name, status);
            if (++n >= MAX_LISTED) break;
          }
        });
        failed = undefined;
        return { known: true, byModel };
      } catch (err) {
        const reason = (err as Error).message.split('\n')[0] ?? String(err);
        failed = { at: Date.now(), reason };
        // a broken connection is dropped, so the next attempt connects afresh
        const stale = connection;
        connection = undefined;
        void stale?.then((c) => c.close()).catch(() => {});
        return { known: false, reason };
      }
    },
    async close() {
      const c = connection;
      connection = undefined;
      await c?.then((x) => x.close()).catch(() => {});
    },
  };
}
