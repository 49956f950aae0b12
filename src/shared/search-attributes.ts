/**
 * Custom search attributes the workflows set, so runs can be found in the Web UI and with
 * `temporal workflow list --query 'ModelName="churn"'`. Registered by the local stack at start-up
 * (`--search-attribute`) and in docker-compose by the admin-tools setup.
 * Workflow-safe: only @temporalio/common.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The `temporal` CLI's name of each type we register (`--search-attribute Name=Type`, `--type`). */
const CLI_TYPES = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
} as const;
type CustomType = keyof typeof CLI_TYPES;
/** @temporalio/common does not export its SearchAttributeKey type */
type SearchAttributeKey<T extends CustomType> = ReturnType<typeof defineSearchAttributeKey<T>>;

/** Every custom key, in the order defined: what the stack and docker-compose register. */
const customKeys: SearchAttributeKey<CustomType>[] = [];

/** A search attribute of ours: defined, and listed for registration (so the list cannot miss one). */
function customKey<T extends CustomType>(name: string, type: T): SearchAttributeKey<T> {
  const key = defineSearchAttributeKey(name, type);
  customKeys.push(key);
  return key;
}

export const ModelName = customKey('ModelName', SearchAttributeType.KEYWORD);
export const ModelVersion = customKey('ModelVersion', SearchAttributeType.INT);
/** what started a run: schedule, drift or manual */
export const Trigger = customKey('Trigger', SearchAttributeType.KEYWORD);
/** the largest per-feature PSI of a drift check */
export const DriftPSI = customKey('DriftPSI', SearchAttributeType.DOUBLE);
export const SourceName = customKey('SourceName', SearchAttributeType.KEYWORD);
export const RecordsWritten = customKey('RecordsWritten', SearchAttributeType.INT);
/**
 * Where a retrain is (RETRAIN_STATES): `queued` while its training run has no H2O job running yet
 * (frames extracted, specs waiting for a training slot), `training` from its first slot on; so
 * `workflow count --query 'RetrainState="queued"'` is the depth of the training queue.
 */
export const RetrainState = customKey('RetrainState', SearchAttributeType.KEYWORD);
export const RETRAIN_STATES = [
  'ingesting',
  'queued',
  'training',
  'registering',
  'awaiting-approval',
  'done',
  'failed',
] as const;
export type RetrainStateValue = (typeof RETRAIN_STATES)[number];

/**
 * Set by the server on every run a Schedule starts (backfills too): the time the run was scheduled for,
 * which the drift sensor takes as its window's end. A system attribute: never registered by us.
 */
export const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

/** Name → CLI type of every custom key, for `temporal server start-dev --search-attribute Name=Type`. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Int' | 'Double'> = Object.fromEntries(
  customKeys.map((key) => [key.name, CLI_TYPES[key.type]]),
);
