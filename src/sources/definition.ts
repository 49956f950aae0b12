/**
 * Source definitions: what a user declares about an HTTP API so `ingestSource` can load it into the
 * feature store (a TypeScript object, or a JSON file in INGEST_SOURCES_DIR named `<name>.json`).
 *
 * Workflow-safe: no Node imports. The workflow validates an inline definition itself, so a bad field
 * fails the run before any page is fetched, with a ValidationError naming the field and the value.
 *
 * Secrets never appear here: a header is either a plain value (it will be visible in workflow
 * history) or a reference `{ env: 'NAME' }` that the activity resolves from its own environment.
 */
import { ValidationError } from '../errors';

/** A header that carries a secret: the value is read from environment variable `env` inside the activity. */
export interface SecretHeader {
  /** name of the environment variable holding the value, e.g. `CRM_API_TOKEN` */
  env: string;
  /** text put before the value, e.g. `Bearer ` @default '' */
  prefix?: string;
}

export type HeaderValue = string | SecretHeader;

/** `?cursor=…`: the response names the cursor of the next page; sequential. */
export interface CursorPagination {
  style: 'cursor';
  /** query parameter that carries the cursor. @default 'cursor' */
  cursorParam?: string;
  /** dotted path of the next cursor in the response body; missing, null or '' ends the source. @default 'next_cursor' */
  nextCursorPath?: string;
  /** query parameter for the page size. @default 'limit' */
  sizeParam?: string;
}

/** `?page=N&per_page=M`: pages are numbered, so several can be fetched at once. */
export interface PageNumberPagination {
  style: 'page';
  /** @default 'page' */
  pageParam?: string;
  /** @default 'per_page' */
  sizeParam?: string;
  /** number of the first page. @default 1 */
  firstPage?: number;
}

/** `?offset=N&limit=M`: pages are positions, so several can be fetched at once. */
export interface OffsetPagination {
  style: 'offset';
  /** @default 'offset' */
  offsetParam?: string;
  /** @default 'limit' */
  sizeParam?: string;
}

/** RFC 8288 `Link: <…>; rel="next"` response header; sequential. */
export interface LinkHeaderPagination {
  style: 'link';
  /** query parameter for the page size on the first request (later URLs come from the source). @default 'per_page' */
  sizeParam?: string;
}

export type Pagination = CursorPagination | PageNumberPagination | OffsetPagination | LinkHeaderPagination;
export type PaginationStyle = Pagination['style'];

export type FeatureType = 'number' | 'string' | 'boolean';

/** One declared feature: where it sits in a record and its type. */
export interface FeatureField {
  /** dotted path in the record, e.g. `profile.age` */
  path: string;
  type: FeatureType;
  /** a missing or null value is kept as null instead of dead-lettering the record. @default false */
  nullable?: boolean;
}

/** How one source record becomes a feature row (feature set, entity id, event time, features). */
export interface RecordMapping {
  /** the feature set every record of this source is written to, e.g. `customers` */
  featureSet: string;
  /** dotted path of the entity id (string or integer) */
  entityIdPath: string;
  /** dotted path of the event time (ISO-8601 text or epoch milliseconds) */
  eventTimePath: string;
  /** declared features, validated per record; name → field */
  features?: Record<string, FeatureField>;
  /** dotted path of an object whose scalar members are all taken as features (instead of, or besides, `features`) */
  featuresPath?: string;
}

/** Incremental sources keep a watermark in features.source_watermarks so the next run starts where the last ended. */
export interface IncrementalOptions {
  /** query parameter sent with the first request: the latest event time written so far (ISO-8601), e.g. `updated_since` */
  sinceParam: string;
}

/** A requests-per-second budget shared by every activity and worker reading this source (kept in Redis). */
export interface RateLimit {
  /** requests per second, e.g. 5 or 0.5 */
  requestsPerSecond: number;
  /** requests that may go out at once after an idle period. @default 1 */
  burst?: number;
}

/** Query parameters that carry an optional ingest window [start, end) to the source. */
export interface WindowParams {
  startParam: string;
  endParam: string;
}

export interface SourceDefinition {
  /** source name: [a-z][a-z0-9_-], at most 63 characters; names the watermark, dead letters and rate limit */
  name: string;
  /** base URL of the list endpoint (http or https), query string allowed */
  url: string;
  /** request headers; secrets as `{ env: 'NAME' }` */
  headers?: Record<string, HeaderValue>;
  pagination: Pagination;
  /** dotted path of the record array in a response body; '' means the body is the array. @default 'data' */
  recordsPath?: string;
  mapping: RecordMapping;
  /** records per page requested from the source. @default 100 */
  pageSize?: number;
  /** pages fetched and written at once (page and offset styles; cursor and link styles prefetch one). @default 4 */
  maxPagesInFlight?: number;
  /** pages one activity fetches and writes before it reports back to the workflow. @default 1 for page/offset, 10 for cursor/link */
  pagesPerActivity?: number;
  rateLimit?: RateLimit;
  /** headers and body-chunk timeout of a request. @default INGEST_REQUEST_TIMEOUT_MS (30000) */
  requestTimeoutMs?: number;
  incremental?: IncrementalOptions;
  window?: WindowParams;
}

/** A definition with every default filled in: what activities work with. */
export interface ResolvedSource extends SourceDefinition {
  recordsPath: string;
  pageSize: number;
  maxPagesInFlight: number;
  pagesPerActivity: number;
  headers: Record<string, HeaderValue>;
}

/** Header names that must never carry a literal value: it would be stored in workflow history. */
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|cookie|password/i;
const SOURCE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
const PARAM = /^[A-Za-z0-9_.\[\]-]{1,100}$/;

export function isParallelStyle(style: PaginationStyle): boolean {
  return style === 'page' || style === 'offset';
}

/**
 * Checks a definition (parsed JSON or a TS object) and fills in defaults. Throws ValidationError
 * naming the first bad field (`pagination.style`, `mapping.features.age.type`, …) and its value.
 */
export function validateSourceDefinition(raw: unknown, where = 'source'): ResolvedSource {
  const def = object(raw, where);
  const name = string(def.name, `${where}.name`);
  if (!SOURCE_NAME.test(name)) throw new ValidationError(`${where}.name`, name, 'lowercase letters, digits, _ and -, starting with a letter, at most 63 characters');
  const url = string(def.url, `${where}.url`);
  if (!/^https?:\/\/[^/\s]+/i.test(url)) throw new ValidationError(`${where}.url`, url, 'an absolute http:// or https:// URL');

  const headers: Record<string, HeaderValue> = {};
  if (def.headers !== undefined) {
    for (const [header, value] of Object.entries(object(def.headers, `${where}.headers`))) {
      const field = `${where}.headers.${header}`;
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) throw new ValidationError(field, header, 'a valid HTTP header name');
      if (typeof value === 'string') {
        if (SECRET_HEADER.test(header)) {
          // Say what to do without echoing the secret into logs or failures.
          throw new ValidationError(field, '<redacted>', `a secret header must reference an environment variable, e.g. { "env": "${header.toUpperCase().replace(/[^A-Z0-9]/g, '_')}" }, so its value stays out of workflow history`);
        }
        headers[header] = value;
      } else {
        const secret = object(value, field);
        const env = string(secret.env, `${field}.env`);
        if (!ENV_NAME.test(env)) throw new ValidationError(`${field}.env`, env, 'an environment variable name ([A-Za-z_][A-Za-z0-9_]*)');
        const prefix = secret.prefix === undefined ? undefined : string(secret.prefix, `${field}.prefix`, true);
        unknownKeys(secret, ['env', 'prefix'], field);
        headers[header] = prefix === undefined ? { env } : { env, prefix };
      }
    }
  }

  const pagination = validatePagination(def.pagination, `${where}.pagination`);
  const recordsPath = def.recordsPath === undefined ? 'data' : string(def.recordsPath, `${where}.recordsPath`, true);
  if (recordsPath !== '' && !PATH.test(recordsPath)) throw new ValidationError(`${where}.recordsPath`, recordsPath, "a dotted path such as 'data' or 'result.items', or '' for a top-level array");
  const mapping = validateMapping(def.mapping, `${where}.mapping`);
  const pageSize = def.pageSize === undefined ? 100 : integer(def.pageSize, `${where}.pageSize`, 1, 100_000);
  const maxPagesInFlight = def.maxPagesInFlight === undefined ? 4 : integer(def.maxPagesInFlight, `${where}.maxPagesInFlight`, 1, 64);
  const pagesPerActivity = def.pagesPerActivity === undefined ? (isParallelStyle(pagination.style) ? 1 : 10) : integer(def.pagesPerActivity, `${where}.pagesPerActivity`, 1, 1000);

  let rateLimit: RateLimit | undefined;
  if (def.rateLimit !== undefined) {
    const rl = object(def.rateLimit, `${where}.rateLimit`);
    const requestsPerSecond = number(rl.requestsPerSecond, `${where}.rateLimit.requestsPerSecond`, 0.001, 100_000);
    const burst = rl.burst === undefined ? 1 : integer(rl.burst, `${where}.rateLimit.burst`, 1, 10_000);
    unknownKeys(rl, ['requestsPerSecond', 'burst'], `${where}.rateLimit`);
    rateLimit = { requestsPerSecond, burst };
  }
  const requestTimeoutMs = def.requestTimeoutMs === undefined ? undefined : integer(def.requestTimeoutMs, `${where}.requestTimeoutMs`, 100, 3_600_000);

  let incremental: IncrementalOptions | undefined;
  if (def.incremental !== undefined) {
    const inc = object(def.incremental, `${where}.incremental`);
    incremental = { sinceParam: param(inc.sinceParam, `${where}.incremental.sinceParam`) };
    unknownKeys(inc, ['sinceParam'], `${where}.incremental`);
  }
  let window: WindowParams | undefined;
  if (def.window !== undefined) {
    const w = object(def.window, `${where}.window`);
    window = { startParam: param(w.startParam, `${where}.window.startParam`), endParam: param(w.endParam, `${where}.window.endParam`) };
    unknownKeys(w, ['startParam', 'endParam'], `${where}.window`);
  }
  unknownKeys(def, ['name', 'url', 'headers', 'pagination', 'recordsPath', 'mapping', 'pageSize', 'maxPagesInFlight', 'pagesPerActivity', 'rateLimit', 'requestTimeoutMs', 'incremental', 'window'], where);

  const resolved: ResolvedSource = { name, url, headers, pagination, recordsPath, mapping, pageSize, maxPagesInFlight, pagesPerActivity };
  if (rateLimit) resolved.rateLimit = rateLimit;
  if (requestTimeoutMs !== undefined) resolved.requestTimeoutMs = requestTimeoutMs;
  if (incremental) resolved.incremental = incremental;
  if (window) resolved.window = window;
  return resolved;
}

function validatePagination(raw: unknown, where: string): Pagination {
  const p = object(raw, where);
  const style = p.style;
  switch (style) {
    case 'cursor':
      unknownKeys(p, ['style', 'cursorParam', 'nextCursorPath', 'sizeParam'], where);
      return {
        style,
        cursorParam: p.cursorParam === undefined ? 'cursor' : param(p.cursorParam, `${where}.cursorParam`),
        nextCursorPath: p.nextCursorPath === undefined ? 'next_cursor' : path(p.nextCursorPath, `${where}.nextCursorPath`),
        sizeParam: p.sizeParam === undefined ? 'limit' : param(p.sizeParam, `${where}.sizeParam`),
      };
    case 'page':
      unknownKeys(p, ['style', 'pageParam', 'sizeParam', 'firstPage'], where);
      return {
        style,
        pageParam: p.pageParam === undefined ? 'page' : param(p.pageParam, `${where}.pageParam`),
        sizeParam: p.sizeParam === undefined ? 'per_page' : param(p.sizeParam, `${where}.sizeParam`),
        firstPage: p.firstPage === undefined ? 1 : integer(p.firstPage, `${where}.firstPage`, 0, 1),
      };
    case 'offset':
      unknownKeys(p, ['style', 'offsetParam', 'sizeParam'], where);
      return {
        style,
        offsetParam: p.offsetParam === undefined ? 'offset' : param(p.offsetParam, `${where}.offsetParam`),
        sizeParam: p.sizeParam === undefined ? 'limit' : param(p.sizeParam, `${where}.sizeParam`),
      };
    case 'link':
      unknownKeys(p, ['style', 'sizeParam'], where);
      return { style, sizeParam: p.sizeParam === undefined ? 'per_page' : param(p.sizeParam, `${where}.sizeParam`) };
    default:
      throw new ValidationError(`${where}.style`, style, "one of 'cursor', 'page', 'offset', 'link'");
  }
}

function validateMapping(raw: unknown, where: string): RecordMapping {
  const m = object(raw, where);
  const featureSet = string(m.featureSet, `${where}.featureSet`);
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(featureSet)) throw new ValidationError(`${where}.featureSet`, featureSet, 'letters, digits, _ and -, starting with a letter, at most 63 characters');
  const mapping: RecordMapping = {
    featureSet,
    entityIdPath: path(m.entityIdPath, `${where}.entityIdPath`),
    eventTimePath: path(m.eventTimePath, `${where}.eventTimePath`),
  };
  if (m.features !== undefined) {
    const features: Record<string, FeatureField> = {};
    for (const [name, rawField] of Object.entries(object(m.features, `${where}.features`))) {
      const field = `${where}.features.${name}`;
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new ValidationError(field, name, 'a feature name of letters, digits and _');
      const f = object(rawField, field);
      const type = f.type;
      if (type !== 'number' && type !== 'string' && type !== 'boolean') throw new ValidationError(`${field}.type`, type, "one of 'number', 'string', 'boolean'");
      const nullable = f.nullable === undefined ? false : boolean(f.nullable, `${field}.nullable`);
      unknownKeys(f, ['path', 'type', 'nullable'], field);
      features[name] = { path: f.path === undefined ? name : path(f.path, `${field}.path`), type, nullable };
    }
    mapping.features = features;
  }
  if (m.featuresPath !== undefined) mapping.featuresPath = path(m.featuresPath, `${where}.featuresPath`);
  if (!mapping.features && !mapping.featuresPath) throw new ValidationError(`${where}.features`, undefined, 'declare features, featuresPath, or both');
  unknownKeys(m, ['featureSet', 'entityIdPath', 'eventTimePath', 'features', 'featuresPath'], where);
  return mapping;
}

// --- small typed readers: each names the field it reads --------------------------------------------

type Obj = Record<string, unknown>;

function object(value: unknown, field: string): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(field, value, 'an object');
  return value as Obj;
}

function string(value: unknown, field: string, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.trim() === '')) throw new ValidationError(field, value, allowEmpty ? 'a string' : 'a non-empty string');
  return value;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new ValidationError(field, value, `an integer from ${min} to ${max}`);
  return value;
}

function number(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw new ValidationError(field, value, `a number from ${min} to ${max}`);
  return value;
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(field, value, 'true or false');
  return value;
}

function path(value: unknown, field: string): string {
  const text = string(value, field);
  if (!PATH.test(text)) throw new ValidationError(field, text, "a dotted path such as 'id' or 'profile.age'");
  return text;
}

function param(value: unknown, field: string): string {
  const text = string(value, field);
  if (!PARAM.test(text)) throw new ValidationError(field, text, 'a query parameter name');
  return text;
}

/** Unknown keys are typos more often than not (`pagesize` for `pageSize`): reject them by name. */
function unknownKeys(value: Obj, known: string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new ValidationError(`${where}.${key}`, value[key], `not a known field (known: ${known.join(', ')})`);
  }
}
