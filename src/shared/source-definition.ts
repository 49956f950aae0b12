/**
 * Source definitions: what a user declares about an HTTP API so `ingestSource` can load it into the
 * feature store (a TypeScript object, or a JSON file in INGEST_SOURCES_DIR named `<name>.json`, checked
 * by editors against schemas/source.schema.json through its `$schema` key).
 *
 * The workflow validates an inline definition itself, so a bad field fails the run before any page is
 * fetched, with a ValidationError naming the field and the value.
 *
 * Secrets never appear here: a header is either a plain value (it will be visible in workflow
 * history) or a reference `{ env: 'NAME' }` that the activity resolves from its own environment.
 */
import { z } from 'zod';
import { ValidationError } from './errors';
import { declaredFeatureName, dottedPath, envName, featureSetName, headerName, queryParam, SECRET_HEADER, sourceName } from './names';
import { flag, integer, matching, number, oneOf, parse, strict } from './validation';

const secretHeader = strict(
  {
    env: envName.meta({ description: 'name of the environment variable holding the value on the worker, e.g. CRM_API_TOKEN' }),
    prefix: z.string({ error: 'a string' }).optional().meta({ description: "text put before the value, e.g. 'Bearer '" }),
  },
  'a header value (a string) or a secret reference { "env": "NAME" }',
);

const headers = z
  .record(headerName, z.union([z.string(), secretHeader], { error: 'a header value (a string) or a secret reference { "env": "NAME" }' }), { error: 'an object' })
  .superRefine((given, ctx) => {
    for (const [header, value] of Object.entries(given)) {
      if (typeof value === 'string' && SECRET_HEADER.test(header)) {
        // Say what to do without echoing the secret into logs or failures.
        const env = header.toUpperCase().replace(/[^A-Z0-9]/g, '_');
        ctx.addIssue({
          code: 'custom',
          path: [header],
          params: { value: '<redacted>' },
          message: `a secret header must reference an environment variable, e.g. { "env": "${env}" }, so its value stays out of workflow history`,
        });
      }
    }
  });

const pagination = z.discriminatedUnion(
  'style',
  [
    strict({
      style: z.literal('cursor').meta({ description: '`?cursor=…`: the response names the cursor of the next page; sequential' }),
      cursorParam: queryParam.default('cursor').meta({ description: 'query parameter that carries the cursor' }),
      nextCursorPath: dottedPath.default('next_cursor').meta({ description: "dotted path of the next cursor in the response body; missing, null or '' ends the source" }),
      sizeParam: queryParam.default('limit').meta({ description: 'query parameter for the page size' }),
    }),
    strict({
      style: z.literal('page').meta({ description: '`?page=N&per_page=M`: numbered pages, several fetched at once' }),
      pageParam: queryParam.default('page'),
      sizeParam: queryParam.default('per_page'),
      firstPage: integer(0, 1).default(1).meta({ description: 'number of the first page' }),
    }),
    strict({
      style: z.literal('offset').meta({ description: '`?offset=N&limit=M`: positions, several pages fetched at once' }),
      offsetParam: queryParam.default('offset'),
      sizeParam: queryParam.default('limit'),
    }),
    strict({
      style: z.literal('link').meta({ description: 'RFC 8288 `Link: <…>; rel="next"` response header; sequential' }),
      sizeParam: queryParam.default('per_page').meta({ description: 'query parameter for the page size on the first request (later URLs come from the source)' }),
    }),
  ],
  { error: "one of 'cursor', 'page', 'offset', 'link'" },
);

export type FeatureType = 'number' | 'string' | 'boolean';

const featureField = strict({
  path: dottedPath.optional().meta({ description: 'dotted path in the record, e.g. profile.age; the feature name when omitted' }),
  type: oneOf(['number', 'string', 'boolean']),
  nullable: flag().default(false).meta({ description: 'a missing or null value is kept as null instead of dead-lettering the record' }),
});

const mapping = strict({
  featureSet: featureSetName.meta({ description: 'the feature set every record of this source is written to, e.g. customers' }),
  entityIdPath: dottedPath.meta({ description: 'dotted path of the entity id (string or integer)' }),
  eventTimePath: dottedPath.meta({ description: 'dotted path of the event time (ISO-8601 text or epoch milliseconds)' }),
  features: z.record(declaredFeatureName, featureField, { error: 'an object' }).optional().meta({ description: 'declared features, validated per record; name → field' }),
  featuresPath: dottedPath.optional().meta({ description: 'dotted path of an object whose scalar members are all taken as features (instead of, or besides, features)' }),
}).refine((m) => m.features !== undefined || m.featuresPath !== undefined, { path: ['features'], error: 'declare features, featuresPath, or both' });

/** The schema of a source definition (schemas/source.schema.json is generated from it). */
export const sourceDefinition = strict({
  $schema: z.string().optional().meta({ description: 'the JSON Schema this file follows (for editors)' }),
  name: sourceName.meta({ description: 'names the watermark, dead letters and rate limit' }),
  url: matching(/^[hH][tT][tT][pP][sS]?:\/\/[^/\s]+/, 'an absolute http:// or https:// URL').meta({ description: 'base URL of the list endpoint, query string allowed' }),
  headers: headers.optional().meta({ description: 'request headers; secrets as { "env": "NAME" }' }),
  pagination,
  recordsPath: z.union([z.literal(''), dottedPath], { error: "a dotted path such as 'data' or 'result.items', or '' for a top-level array" }).default('data').meta({ description: "dotted path of the record array in a response body; '' means the body is the array" }),
  mapping,
  pageSize: integer(1, 100_000).default(100).meta({ description: 'records per page requested from the source' }),
  maxPagesInFlight: integer(1, 64).default(4).meta({ description: 'pages fetched and written at once (page and offset styles; cursor and link styles prefetch one)' }),
  pagesPerActivity: integer(1, 1000).optional().meta({ description: 'pages one activity fetches and writes before it reports back; 1 for page/offset, 10 for cursor/link when omitted' }),
  rateLimit: strict({
    requestsPerSecond: number(0.001, 100_000).meta({ description: 'requests per second, e.g. 5 or 0.5' }),
    burst: integer(1, 10_000).default(1).meta({ description: 'requests that may go out at once after an idle period' }),
  }).optional().meta({ description: 'a requests-per-second budget shared by every activity and worker reading this source (kept in Redis)' }),
  requestTimeoutMs: integer(100, 3_600_000).optional().meta({ description: 'headers and body-chunk timeout of a request; INGEST_REQUEST_TIMEOUT_MS (30000) when omitted' }),
  incremental: strict({
    sinceParam: queryParam.meta({ description: 'query parameter sent with the first request: the latest event time written so far (ISO-8601)' }),
  }).optional().meta({ description: 'keep a watermark so the next run starts where the last ended' }),
  window: strict({ startParam: queryParam, endParam: queryParam }).optional().meta({ description: 'query parameters that carry an ingest window [start, end) to the source' }),
});

/** A definition as a user writes it (defaults optional). */
export type SourceDefinition = z.input<typeof sourceDefinition>;
type ParsedSource = z.output<typeof sourceDefinition>;
export type Pagination = ParsedSource['pagination'];
export type PaginationStyle = Pagination['style'];
export type SecretHeader = z.output<typeof secretHeader>;
export type HeaderValue = string | SecretHeader;
export type RateLimit = NonNullable<ParsedSource['rateLimit']>;
export interface FeatureField {
  path: string;
  type: FeatureType;
  /** @default false */
  nullable?: boolean;
}
export type RecordMapping = Omit<ParsedSource['mapping'], 'features'> & { features?: Record<string, FeatureField> };

/** A definition with every default filled in: what activities work with (and what workflow history holds). */
export interface ResolvedSource extends Omit<ParsedSource, '$schema' | 'headers' | 'pagesPerActivity' | 'mapping'> {
  headers: Record<string, HeaderValue>;
  pagesPerActivity: number;
  mapping: RecordMapping;
}

/** An error about a secret header's value (any type: `Authorization: 12345`) names the field, never the value. */
function redactSecretHeader(err: unknown, where: string): unknown {
  if (!(err instanceof ValidationError) || !err.field.startsWith(`${where}.headers.`)) return err;
  const [header, ...rest] = err.field.slice(`${where}.headers.`.length).split('.');
  if (!SECRET_HEADER.test(header ?? '') || rest[0] === 'env' || err.value === '<redacted>') return err;
  return new ValidationError(err.field, '<redacted>', err.expected);
}

export function isParallelStyle(style: PaginationStyle): boolean {
  return style === 'page' || style === 'offset';
}

/**
 * Checks a definition (parsed JSON or a TS object) and fills in defaults. Throws ValidationError
 * naming the first bad field (`pagination.style`, `mapping.features.age.type`, …) and its value.
 */
export function validateSourceDefinition(raw: unknown, where = 'source'): ResolvedSource {
  let parsed: ParsedSource;
  try {
    parsed = parse(sourceDefinition, raw, where);
  } catch (err) {
    throw redactSecretHeader(err, where);
  }
  const { $schema: _schema, headers, pagesPerActivity, mapping, ...def } = parsed;
  const { features: declared, ...columns } = mapping;
  const features = declared && Object.fromEntries(Object.entries(declared).map(([name, f]) => [name, { ...f, path: f.path ?? name }]));
  return {
    ...def,
    headers: headers ?? {},
    pagesPerActivity: pagesPerActivity ?? (isParallelStyle(def.pagination.style) ? 1 : 10),
    mapping: { ...columns, ...(features ? { features } : {}) },
  };
}

