/**
 * Record mapping: one source record → one feature row, or the reason it cannot be one.
 * An invalid record never fails its page: the reason goes to features.dead_letters with the record.
 * Only activities call it (it generates code). It runs for every record (a million in the benchmark),
 * so a mapping is compiled once per worker: declared-only mappings into a specialised function.
 */
import type { FeatureRow, FeatureValue } from '../feature-store/rows';
import { pathKeys } from '../shared/json-path';
import type { EventTimeUnit, FeatureField, FeatureType, RecordMapping } from '../shared/source-definition';
import { eventTimeMs } from './event-time';

export type MappedRecord = { ok: true; row: FeatureRow } | { ok: false; reason: string };

export type RecordMapper = (record: unknown) => MappedRecord;

/** Event times before 1970 or after 9999 are typos (seconds for milliseconds, a year 20240): reject them. */
const MIN_TIME = 0;
const MAX_TIME = Date.UTC(9999, 11, 31);

const compiled = new Map<string, RecordMapper>();

/** The mapper of `mapping`, compiled once per worker (activities receive the mapping with every call). */
export function compileMapping(mapping: RecordMapping): RecordMapper {
  const key = JSON.stringify(mapping);
  let mapper = compiled.get(key);
  if (!mapper) {
    if (compiled.size >= 100) compiled.clear();
    mapper = compileMapper(mapping);
    compiled.set(key, mapper);
  }
  return mapper;
}

function compileMapper(mapping: RecordMapping): RecordMapper {
  const generic = compileGeneric(mapping);
  if (mapping.featuresPath || !mapping.features) return generic;
  // Declared features only (the common case): a mapper specialised for this mapping. It reads each
  // path directly and builds the features object with one literal (one hidden class), several times
  // faster than the generic loop; any record it rejects is re-checked by the generic mapper, so both
  // give the same reasons.
  const fast = compileDeclared(mapping, mapping.features);
  return (record) => fast(record) ?? generic(record);
}

/**
 * Generated code for a mapping whose features are all declared. Returns the mapped record, or
 * undefined for anything irregular (the caller then asks the generic mapper for the reason).
 * Safe to generate: every path segment and name is embedded through JSON.stringify.
 */
function compileDeclared(
  mapping: RecordMapping,
  features: Record<string, FeatureField>,
): (record: unknown) => MappedRecord | undefined {
  const fields = Object.entries(features);
  const access = (path: string) =>
    pathKeys(path).reduce((expr, part) => `(${expr} == null ? undefined : ${expr}[${JSON.stringify(part)}])`, 'r');
  const body: string[] = [];
  fields.forEach(([, f], i) => {
    const check =
      f.type === 'number'
        ? `typeof v${i} !== 'number' || !Number.isFinite(v${i})`
        : `typeof v${i} !== ${JSON.stringify(f.type)}`;
    body.push(`let v${i} = ${access(f.path)};`);
    body.push(
      f.nullable
        ? `if (v${i} == null) v${i} = null; else if (${check}) return undefined;`
        : `if (v${i} == null || ${check}) return undefined;`,
    );
  });
  const literal = fields.map(([name], i) => `${JSON.stringify(name)}: v${i}`).join(', ');
  const code = [
    'return function mapDeclared(r) {',
    `  const id = ${access(mapping.entityIdPath)};`,
    "  if (!(typeof id === 'string' && id.length <= 256 && id.trim() !== '') && !(typeof id === 'number' && Number.isSafeInteger(id))) return undefined;",
    `  const t = ${access(mapping.eventTimePath)};`,
    '  const ms = eventTimeMs(t, unit);',
    `  if (!(ms >= ${MIN_TIME} && ms <= ${MAX_TIME})) return undefined;`,
    ...body.map((line) => `  ${line}`),
    `  return { ok: true, row: { entityId: String(id), eventTime: new Date(ms).toISOString(), features: { ${literal} }, json: undefined } };`,
    '};',
  ].join('\n');
  // generated from validated names and JSON-quoted paths (see above)
  const mapDeclared = new Function('eventTimeMs', 'unit', code)(eventTimeMs, mapping.eventTimeUnit ?? 'auto') as (
    record: unknown,
  ) => MappedRecord | undefined;
  return (record) =>
    record === null || typeof record !== 'object' || Array.isArray(record) ? undefined : mapDeclared(record);
}

function compileGeneric(mapping: RecordMapping): RecordMapper {
  const entityPath = pathKeys(mapping.entityIdPath);
  const timePath = pathKeys(mapping.eventTimePath);
  const bagPath = mapping.featuresPath === undefined ? undefined : pathKeys(mapping.featuresPath);
  const unit: EventTimeUnit = mapping.eventTimeUnit ?? 'auto';
  const declared = Object.entries(mapping.features ?? {}).map(([name, f]) => ({
    name,
    spelled: f.path,
    path: pathKeys(f.path),
    type: f.type,
    nullable: f.nullable ?? false,
  }));

  return (record) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record))
      return fail(`record: expected an object, got ${describe(record)}`);
    const rawId = read(record, entityPath);
    let entityId: string;
    if (typeof rawId === 'string' && rawId.trim() !== '' && rawId.length <= 256) entityId = rawId;
    else if (typeof rawId === 'number' && Number.isSafeInteger(rawId)) entityId = String(rawId);
    else
      return fail(
        `${mapping.entityIdPath}: expected a non-empty string (at most 256 characters) or an integer entity id, got ${describe(rawId)}`,
      );

    const rawTime = read(record, timePath);
    const ms = eventTimeMs(rawTime, unit);
    if (!Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) {
      const numbers =
        unit === 's' ? 'epoch seconds' : unit === 'ms' ? 'epoch milliseconds' : 'epoch seconds or milliseconds';
      return fail(
        `${mapping.eventTimePath}: expected an ISO-8601 time (UTC without an offset), a time with an explicit zone, or ${numbers}, between 1970 and 9999, got ${describe(rawTime)}`,
      );
    }
    // Always through Date: V8 rolls 2026-02-30 over to March 2, which PostgreSQL would reject as text.
    const eventTime = new Date(ms).toISOString();

    const features: Record<string, FeatureValue> = {};
    if (bagPath) {
      const bag = read(record, bagPath);
      if (bag === null || typeof bag !== 'object' || Array.isArray(bag))
        return fail(`${mapping.featuresPath}: expected an object of features, got ${describe(bag)}`);
      for (const key in bag) {
        const value = (bag as Record<string, unknown>)[key];
        if (
          value === null ||
          typeof value === 'string' ||
          typeof value === 'boolean' ||
          (typeof value === 'number' && Number.isFinite(value))
        )
          features[key] = value;
        else
          return fail(
            `${mapping.featuresPath}.${key}: expected a number, string, boolean or null, got ${describe(value)}`,
          );
      }
    }
    for (const f of declared) {
      const value = read(record, f.path);
      if (value === undefined || value === null) {
        if (!f.nullable) return fail(`${f.spelled}: feature ${f.name} is required (${f.type}), got ${describe(value)}`);
        features[f.name] = null;
      } else if (!matches(value, f.type)) {
        return fail(
          `${f.spelled}: feature ${f.name} expected ${f.type === 'number' ? 'a finite number' : `a ${f.type}`}, got ${describe(value)}`,
        );
      } else {
        features[f.name] = value as FeatureValue;
      }
    }
    return { ok: true, row: { entityId, eventTime, features, json: undefined } };
  };
}

function read(value: unknown, path: string[]): unknown {
  if (path.length === 1) return (value as Record<string, unknown>)[path[0]!]; // the common flat record
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
