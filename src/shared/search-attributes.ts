/**
 * Custom search attributes the workflows set, so runs can be found in the Web UI and with
 * `temporal workflow list --query 'ModelName="churn"'`. Registered by the local stack at start-up
 * (`--search-attribute`) and in docker-compose by the admin-tools setup.
 * Workflow-safe: only @temporalio/common.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ModelName = defineSearchAttributeKey('ModelName', SearchAttributeType.KEYWORD);
export const ModelVersion = defineSearchAttributeKey('ModelVersion', SearchAttributeType.INT);
/** what started a run: schedule, drift or manual */
export const Trigger = defineSearchAttributeKey('Trigger', SearchAttributeType.KEYWORD);
/** the largest per-feature PSI of a drift check */
export const DriftPSI = defineSearchAttributeKey('DriftPSI', SearchAttributeType.DOUBLE);
export const SourceName = defineSearchAttributeKey('SourceName', SearchAttributeType.KEYWORD);
export const RecordsWritten = defineSearchAttributeKey('RecordsWritten', SearchAttributeType.INT);
/**
 * Where a retrain is (RETRAIN_STATES): `queued` while its training run has no H2O job running yet
 * (frames extracted, specs waiting for a training slot), `training` from its first slot on; so
 * `workflow count --query 'RetrainState="queued"'` is the depth of the training queue.
 */
export const RetrainState = defineSearchAttributeKey('RetrainState', SearchAttributeType.KEYWORD);
export const RETRAIN_STATES = ['ingesting', 'queued', 'training', 'registering', 'awaiting-approval', 'done', 'failed'] as const;
export type RetrainStateValue = (typeof RETRAIN_STATES)[number];

/**
 * Set by the server on every run a Schedule starts (backfills too): the time the run was scheduled for,
 * which the drift sensor takes as its window's end. A system attribute: never registered by us.
 */
export const TemporalScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Name → CLI type, for `temporal server start-dev --search-attribute Name=Type`. MAINTENANCE: keep in sync with the keys above. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Int' | 'Double'> = {
  ModelName: 'Keyword',
  ModelVersion: 'Int',
  Trigger: 'Keyword',
  DriftPSI: 'Double',
  SourceName: 'Keyword',
  RecordsWritten: 'Int',
  RetrainState: 'Keyword',
};
