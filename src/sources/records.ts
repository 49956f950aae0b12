/**
 * Record mapping: one source record → one feature row, or the reason it cannot be one.
 * An invalid record never fails its page: the reason goes to features.dead_letters with the record.
 * Workflow-safe, though only activities call it. Compiled once per page batch: the paths are split
 * up front because this runs for every record (a million in the benchmark).
 */
import type { FeatureType, RecordMapping } from './definition';

/** A feature row as the feature store keys it. */
export interface FeatureRow {
  entityId: string;
  /** ISO-8601, normalised through Date (millisecond precision) */
  eventTime: string;
  features: Record<string, FeatureValue>;
}

export type FeatureValue = number | string | boolean | null;

export type MappedRecord = { ok: true; row: FeatureRow } | { ok: false; reason: string };

export type RecordMapper = (record: unknown) => MappedRecord;

/** Event times before 1970 or after 9999 are typos (seconds for milliseconds, a year 20240): reject them. */
const MIN_TIME = 0;
const MAX_TIME = Date.UTC(9999, 11, 31);

export function compileMapping(mapping: RecordMapping): RecordMapper {
  const entityPath = mapping.entityIdPath.split('.');
  const timePath = mapping.eventTimePath.split('.');
  const bagPath = mapping.featuresPath?.split('.');
  const declared = Object.entries(mapping.features ?? {}).map(([name, f]) => ({ name, path: f.path.split('.'), type: f.type, nullable: f.nullable ?? false }));

  return (record) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return fail(`record: expected an object, got ${describe(record)}`);
    const rawId = read(record, entityPath);
    let entityId: string;
    if (typeof rawId === 'string' && rawId.trim() !== '' && rawId.length <= 256) entityId = rawId;
    else if (typeof rawId === 'number' && Number.isSafeInteger(rawId)) entityId = String(rawId);
    else return fail(`${mapping.entityIdPath}: expected a non-empty string (at most 256 characters) or an integer entity id, got ${describe(rawId)}`);

    const rawTime = read(record, timePath);
    const ms = typeof rawTime === 'number' ? rawTime : typeof rawTime === 'string' ? Date.parse(rawTime) : NaN;
    if (!Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) return fail(`${mapping.eventTimePath}: expected an ISO-8601 time or epoch milliseconds between 1970 and 9999, got ${describe(rawTime)}`);

    const features: Record<string, FeatureValue> = {};
    if (bagPath) {
      const bag = read(record, bagPath);
      if (bag === null || typeof bag !== 'object' || Array.isArray(bag)) return fail(`${mapping.featuresPath}: expected an object of features, got ${describe(bag)}`);
      for (const key in bag) {
        const value = (bag as Record<string, unknown>)[key];
        if (value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) features[key] = value;
        else return fail(`${mapping.featuresPath}.${key}: expected a number, string, boolean or null, got ${describe(value)}`);
      }
    }
    for (const f of declared) {
      const value = read(record, f.path);
      if (value === undefined || value === null) {
        if (!f.nullable) return fail(`${f.path.join('.')}: feature ${f.name} is required (${f.type}), got ${describe(value)}`);
        features[f.name] = null;
      } else if (!matches(value, f.type)) {
        return fail(`${f.path.join('.')}: feature ${f.name} expected ${f.type === 'number' ? 'a finite number' : `a ${f.type}`}, got ${describe(value)}`);
      } else {
        features[f.name] = value as FeatureValue;
      }
    }
    return { ok: true, row: { entityId, eventTime: new Date(ms).toISOString(), features } };
  };
}

function read(value: unknown, path: string[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function matches(value: unknown, type: FeatureType): boolean {
  return type === 'number' ? typeof value === 'number' && Number.isFinite(value) : typeof value === type;
}

function fail(reason: string): MappedRecord {
  return { ok: false, reason };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
