/**
 * Starting an ingest run from a client (the CLI, a schedule set-up, tests): a readable workflow id,
 * a static summary for the Web UI, the SourceName search attribute from the first event, and the
 * history limit from INGEST_HISTORY_EVENT_LIMIT (workflows cannot read the environment).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { config as loadConfig, type Config } from '../config';
import { RecordsWritten, SourceName } from '../search-attributes';
import type { ingestSource, IngestSourceInput } from '../workflows/ingest-source';

export interface StartIngestOptions {
  /** @default TEMPORAL_TASK_QUEUE */
  taskQueue?: string;
  /** @default `ingest-<source>-<timestamp>` */
  workflowId?: string;
  config?: Config;
}

export async function startIngest(client: Client, input: IngestSourceInput, options: StartIngestOptions = {}): Promise<WorkflowHandle<typeof ingestSource>> {
  const cfg = options.config ?? loadConfig();
  const featureSet = input.definition?.mapping.featureSet;
  return client.workflow.start<typeof ingestSource>('ingestSource', {
    taskQueue: options.taskQueue ?? cfg.temporal.taskQueue,
    workflowId: options.workflowId ?? `ingest-${input.source}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    args: [{ historyEventLimit: cfg.ingest.historyEventLimit, ...input }],
    typedSearchAttributes: [
      { key: SourceName, value: input.source },
      { key: RecordsWritten, value: 0 },
    ],
    staticSummary: `Ingest source ${input.source}${featureSet ? ` into feature set ${featureSet}` : ''}${input.window ? ` for [${input.window.start}, ${input.window.end})` : ''}`,
    staticDetails: 'Fetches every page of the source and upserts its records into features.feature_values; query `progress` for pages, records written, dead letters and the cursor.',
  });
}
