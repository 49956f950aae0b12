/**
 * The feature store's row contract: the rows and dead letters a page writes, and which text
 * PostgreSQL can store. Ingestion maps records to these; the feature store owns them.
 */
import { storableText } from '../shared/storable-text';

// the one rule of storable text lives in the workflow-safe kernel (a workflow's validators use it too)
export { storableText, unstorableText } from '../shared/storable-text';

/** A feature row as the feature store keys it. */
export interface FeatureRow {
  entityId: string;
  /** ISO-8601, normalised through Date (millisecond precision) */
  eventTime: string;
  features: Record<string, FeatureValue>;
  /** JSON.stringify(features), when the mapper of a page already made it (the writer reuses it) */
  json?: string;
}

export type FeatureValue = number | string | boolean | null;

/** One record that failed validation, with its position in the page. */
export interface DeadLetter {
  /** position of the record in its page (-1: the whole page) */
  index: number;
  /** the record as the source sent it (for a whole page: its text) */
  raw: unknown;
  reason: string;
}

/** An escape JSON.stringify writes for a NUL or a lone surrogate (not preceded by an escaping backslash): jsonb refuses both. */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/**
 * A dead letter's raw value as jsonb text. A record jsonb cannot hold (a NUL, a lone surrogate, in a
 * value or a key) is kept as a JSON string of its JSON text instead, so its escapes survive as text.
 */
export function storableJson(raw: unknown): string {
  const json = (typeof raw === 'string' ? JSON.stringify(storableText(raw)) : JSON.stringify(raw ?? null)) ?? 'null';
  return unstorableJson(json) ? JSON.stringify(json) : json;
}

/** Whether JSON text (from JSON.stringify) holds something jsonb cannot store. */
export function unstorableJson(json: string): boolean {
  return json.includes('\\u') && UNSTORABLE_ESCAPE.test(json);
}
