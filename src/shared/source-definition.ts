/**
 * Source definitions: what a user declares about an HTTP API so `ingestSource` can load it into the
 * feature store (a TypeScript object, or a JSON file in INGEST_SOURCES_DIR named `<name>.json`, checked
 * by editors against schemas/source.schema.json through its `$schema` key).
 *
 * The workflow validates an inline definition itself, so a bad field fails the run before any page is
 * fetched, with a ValidationError naming the field and the value.
 *
 * Secrets never appear here: a header or query parameter is either a plain value (it will be visible
 * in workflow history) or a reference `{ env: 'NAME' }` that the activity resolves from its own
 * environment (only SOURCE_SECRET_… or INGEST_SECRET_ENV_ALLOW names: src/ingest/secrets.ts), and
 * sends only to the source's own origins, and of those only to the ones the worker binds the secret
 * to (INGEST_SECRET_ORIGINS, or the source's INGEST_SOURCES_DIR file). `url` may not carry credentials.
 */
import { z } from 'zod';
import { ValidationError } from './errors';
import { jsonPath } from './json-path';
import {
  declaredFeatureName,
  envName,
  featureSetName,
  headerName,
  queryParam,
  SECRET_HEADER,
  SECRET_PARAM,
  sourceName,
} from './names';
import {
  flag,
  integer,
  matching,
  number,
  oneOf,
  parse,
  parseAbsoluteUrl,
  refuseUrlCredentials,
  strict,
} from './validation';

const secretRef = strict(
  {
    env: envName.meta({
      description:
        'environment variable holding the value on the worker: SOURCE_SECRET_… or one listed in INGEST_SECRET_ENV_ALLOW, e.g. SOURCE_SECRET_CRM_TOKEN',
    }),
    prefix: z
      .string({ error: 'a string' })
      .optional()
      .meta({ description: "text put before the value, e.g. 'Bearer '" }),
  },
  'a value (a string) or a secret reference { "env": "NAME" }',
);

const valueOrSecret = z.union([z.string(), secretRef], {
  error: 'a value (a string) or a secret reference { "env": "NAME" }',
});

const headers = z.record(headerName, valueOrSecret, { error: 'an object' }).superRefine((given, ctx) => {
  for (const [header, value] of Object.entries(given)) {
    if (typeof value === 'string' && SECRET_HEADER.test(header)) {
      // Say what to do without echoing the secret into logs or failures.
      const env = `SOURCE_SECRET_${header.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
      ctx.addIssue({
        code: 'custom',
        path: [header],
        params: { value: '<redacted>' },
        message: `a secret header must reference an environment variable, e.g. { "env": "${env}" }, so its value stays out of workflow history`,
      });
    }
  }
});

const queryParams = z.record(queryParam, valueOrSecret, { error: 'an object' }).superRefine((given, ctx) => {
  for (const [name, value] of Object.entries(given)) {
    if (typeof value === 'string' && SECRET_PARAM.test(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        params: { value: '<redacted>' },
        message: `a secret query parameter must reference an environment variable, e.g. { "env": "SOURCE_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}" }`,
      });
    }
  }
});

const sizeParam = (fallback: string) =>
  z
    .union([queryParam, z.literal(false)], { error: 'a query parameter name, or false to send no page size' })
    .default(fallback)
    .meta({ description: `query parameter for the page size (${fallback}); false sends none` });

/** When a source has no more pages, besides the rule of its style. Every style accepts these. */
const stopConditions = {
  hasMorePath: jsonPath
    .optional()
    .meta({ description: "path of a flag in the body; false (or missing) ends the source, e.g. 'has_more' (Stripe)" }),
  donePath: jsonPath
    .optional()
    .meta({ description: "path of a flag in the body; true ends the source, e.g. 'done' (Salesforce)" }),
  totalPath: jsonPath.optional().meta({
    description:
      "path of the total record count in the body; the source ends once that many records were read, e.g. '/@odata.count'",
  }),
  stopOnEmptyPage: flag().default(true).meta({ description: 'a page with no records ends the source' }),
};

const pagination = z.discriminatedUnion(
  'style',
  [
    strict({
      style: z.literal('cursor').meta({
        description:
          '`?cursor=…`: each response names the next cursor (in the body, a header, or the last record); sequential',
      }),
      cursorParam: queryParam
        .default('cursor')
        .meta({ description: "query parameter that carries the cursor, e.g. 'starting_after' (Stripe)" }),
      nextCursorPath: jsonPath.optional().meta({
        description:
          "path of the next cursor in the response body; missing, null or '' ends the source. 'next_cursor' unless cursorHeader or cursorFromLastRecord is given",
      }),
      cursorHeader: headerName
        .optional()
        .meta({ description: 'response header that carries the next cursor, e.g. X-Next-Cursor' }),
      cursorFromLastRecord: jsonPath.optional().meta({
        description:
          "path in the page's last record whose value is the next cursor, e.g. 'id' (Stripe's starting_after)",
      }),
      sizeParam: sizeParam('limit'),
      ...stopConditions,
    }),
    strict({
      style: z.literal('next-url').meta({
        description:
          'the body holds the URL of the next page (OData @odata.nextLink, HAL _links.next.href, JSON:API links.next, Salesforce nextRecordsUrl); sequential',
      }),
      nextUrlPath: jsonPath.meta({
        description:
          "path of the next page's URL in the body (absolute or relative); missing, null or '' ends the source, e.g. '/@odata.nextLink'",
      }),
      sizeParam: z
        .union([queryParam, z.literal(false)])
        .default(false)
        .meta({ description: 'query parameter for the page size on the first request (none by default)' }),
      ...stopConditions,
    }),
    strict({
      style: z.literal('page').meta({ description: '`?page=N&per_page=M`: numbered pages, several fetched at once' }),
      pageParam: queryParam.default('page'),
      sizeParam: sizeParam('per_page'),
      firstPage: integer(0, 1).default(1).meta({ description: 'number of the first page' }),
      ...stopConditions,
    }),
    strict({
      style: z.literal('offset').meta({ description: '`?offset=N&limit=M`: positions, several pages fetched at once' }),
      offsetParam: queryParam.default('offset').meta({ description: "e.g. '$skip' (OData)" }),
      sizeParam: sizeParam('limit'),
      ...stopConditions,
    }),
    strict({
      style: z.literal('link').meta({ description: 'RFC 8288 `Link: <…>; rel="next"` response header; sequential' }),
      sizeParam: z
        .union([queryParam, z.literal(false)])
        .default('per_page')
        .meta({
          description:
            'query parameter for the page size on the first request (later URLs come from the source); false sends none',
        }),
      ...stopConditions,
    }),
    strict({
      style: z.literal('auto').meta({
        description:
          "detected from the first response (a Link header, a next URL or cursor in the body, Stripe's has_more); the run's output names the dialect chosen",
      }),
      sizeParam: queryParam
        .optional()
        .meta({ description: 'query parameter for the page size on the first request (none by default)' }),
    }),
  ],
  { error: "one of 'cursor', 'next-url', 'page', 'offset', 'link', 'auto'" },
);

/** `url` may not carry credentials: they would sit in workflow history and in every error naming the URL. */
function checkUrlCredentials(url: string, ctx: z.core.$RefinementCtx<string>): void {
  const parsed = parseAbsoluteUrl(url, ctx);
  if (!parsed) return;
  if (
    refuseUrlCredentials(
      parsed,
      ctx,
      '; send credentials as a header, e.g. "headers": { "Authorization": { "env": "SOURCE_SECRET_CRM_BASIC", "prefix": "Basic " } }',
    )
  )
    return;
  for (const name of parsed.searchParams.keys()) {
    if (SECRET_PARAM.test(name)) {
      ctx.addIssue({
        code: 'custom',
        params: { value: '<redacted>' },
        message: `a URL without a secret in its query (${name}=…); declare it as "queryParams": { "${name}": { "env": "SOURCE_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}" } } so its value stays out of workflow history`,
      });
      return;
    }
  }
}

const origin = matching(
  /^[hH][tT][tT][pP][sS]?:\/\/[^/\s?#@]+$/,
  'an origin such as https://api.example.com or http://127.0.0.1:8080 (no path)',
);

export type FeatureType = 'number' | 'string' | 'boolean';

const featureField = strict({
  path: jsonPath.optional().meta({
    description:
      "path in the record (dotted, e.g. profile.age, or a JSON Pointer, e.g. '/metrics.v2/score'); the feature name when omitted",
  }),
  type: oneOf(['number', 'string', 'boolean']),
  nullable: flag()
    .default(false)
    .meta({ description: 'a missing or null value is kept as null instead of dead-lettering the record' }),
});

const mapping = strict({
  featureSet: featureSetName.meta({
    description: 'the feature set every record of this source is written to, e.g. customers',
  }),
  entityIdPath: jsonPath.meta({ description: 'path of the entity id (string or integer)' }),
  eventTimePath: jsonPath.meta({
    description:
      'path of the event time: ISO-8601 text (without an offset it is UTC) or an epoch number (see eventTimeUnit)',
  }),
  eventTimeUnit: oneOf(['auto', 's', 'ms']).default('auto').meta({
    description:
      "unit of a numeric event time: 's', 'ms', or 'auto' (below 100,000,000,000 it is seconds, i.e. before 5138 in seconds or 1973 in ms)",
  }),
  features: z
    .record(declaredFeatureName, featureField, { error: 'an object' })
    .optional()
    .meta({ description: 'declared features, validated per record; name → field' }),
  featuresPath: jsonPath.optional().meta({
    description: 'path of an object whose scalar members are all taken as features (instead of, or besides, features)',
  }),
}).refine((m) => m.features !== undefined || m.featuresPath !== undefined, {
  path: ['features'],
  error: 'declare features, featuresPath, or both',
});

/** The schema of a source definition (schemas/source.schema.json is generated from it). */
export const sourceDefinition = strict({
  $schema: z.string().optional().meta({ description: 'the JSON Schema this file follows (for editors)' }),
  name: sourceName.meta({ description: 'names the watermark, dead letters and rate limit' }),
  url: matching(/^[hH][tT][tT][pP][sS]?:\/\/[^/\s]+/, 'an absolute http:// or https:// URL')
    .superRefine(checkUrlCredentials)
    .meta({
      description: 'base URL of the list endpoint, query string allowed (no credentials: see headers and queryParams)',
    }),
  headers: headers.optional().meta({
    description:
      'request headers; secrets as { "env": "NAME" }, sent only to the origin of url and allowedOrigins, and only where the worker binds them (INGEST_SECRET_ORIGINS, or the INGEST_SOURCES_DIR file of this source)',
  }),
  queryParams: queryParams.optional().meta({
    description:
      'query parameters sent with every request, e.g. { "api_key": { "env": "SOURCE_SECRET_API_KEY" } }; secrets stay out of workflow history and error messages',
  }),
  allowedOrigins: z.array(origin, { error: 'a list of origins' }).optional().meta({
    description:
      "origins besides url's that next links may lead to (they receive the secrets too); any other origin fails the run",
  }),
  pagination: pagination
    .default({ style: 'auto' })
    .meta({ description: "how pages follow each other; detected from the first response when omitted ('auto')" }),
  recordsPath: z
    .union([z.literal(''), jsonPath], {
      error: "a path such as 'data', 'result.items' or '/_embedded/items', or '' for a top-level array",
    })
    .default('data')
    .meta({ description: "path of the record array in a response body; '' means the body is the array" }),
  mapping,
  pageSize: integer(1, 100_000).default(100).meta({ description: 'records per page requested from the source' }),
  maxPagesInFlight: integer(1, 64).default(4).meta({
    description: 'pages fetched and written at once (page and offset styles; cursor and link styles prefetch one)',
  }),
  pagesPerActivity: integer(1, 1000).optional().meta({
    description:
      'pages one activity fetches and writes before it reports back; 1 for page/offset, 10 for cursor/link when omitted',
  }),
  rateLimit: strict({
    requestsPerSecond: number(0.001, 100_000).meta({ description: 'requests per second, e.g. 5 or 0.5' }),
    burst: integer(1, 10_000).default(1).meta({ description: 'requests that may go out at once after an idle period' }),
  })
    .optional()
    .meta({
      description:
        'a requests-per-second budget shared by every activity and worker reading this source (kept in Redis)',
    }),
  requestTimeoutMs: integer(100, 3_600_000).optional().meta({
    description: 'headers and body-chunk timeout of a request; INGEST_REQUEST_TIMEOUT_MS (30000) when omitted',
  }),
  requestDeadlineMs: integer(100, 3_600_000).optional().meta({
    description:
      'longest a whole request may take, a trickling body included; INGEST_REQUEST_DEADLINE_MS (120000) when omitted',
  }),
  maxPageBytes: integer(1024, 1_073_741_824).optional().meta({
    description:
      'largest response body accepted; a bigger page is a whole-page dead letter. INGEST_MAX_PAGE_BYTES (67108864) when omitted',
  }),
  badPages: strict({
    retries: integer(0, 20).default(4).meta({
      description:
        'times a page that is not the JSON described (not JSON, no record array) is fetched again, with backoff, before it counts as bad',
    }),
    action: oneOf(['dead-letter', 'fail']).default('dead-letter').meta({
      description:
        "'dead-letter': the page becomes one dead letter (record_index -1, its text truncated) and the run moves on; 'fail': the run fails naming the URL",
    }),
    maxDeadPages: integer(0, 1_000_000)
      .default(10)
      .meta({ description: 'the run fails once more pages than this were dead-lettered' }),
  })
    .default({ retries: 4, action: 'dead-letter', maxDeadPages: 10 })
    .meta({ description: 'what a page that is not the JSON the definition describes does to the run' }),
  incremental: strict({
    sinceParam: queryParam.meta({
      description: 'query parameter sent with the first request: the latest event time written so far (ISO-8601)',
    }),
  })
    .optional()
    .meta({ description: 'keep a watermark so the next run starts where the last ended' }),
  window: strict({ startParam: queryParam, endParam: queryParam })
    .optional()
    .meta({ description: 'query parameters that carry an ingest window [start, end) to the source' }),
});

/** A definition as a user writes it (defaults optional). */
export type SourceDefinition = z.input<typeof sourceDefinition>;
type ParsedSource = z.output<typeof sourceDefinition>;
export type Pagination = ParsedSource['pagination'];
export type PaginationStyle = Pagination['style'];
export type SecretRef = z.output<typeof secretRef>;
/** @deprecated the same reference serves headers and query parameters: SecretRef */
export type SecretHeader = SecretRef;
export type HeaderValue = string | SecretRef;
export type BadPages = ParsedSource['badPages'];
export type EventTimeUnit = 'auto' | 's' | 'ms';
export type RateLimit = NonNullable<ParsedSource['rateLimit']>;
export interface FeatureField {
  path: string;
  type: FeatureType;
  /** @default false */
  nullable?: boolean;
}
export type RecordMapping = Omit<ParsedSource['mapping'], 'features' | 'eventTimeUnit'> & {
  features?: Record<string, FeatureField>;
  /** @default 'auto' */
  eventTimeUnit?: EventTimeUnit;
};

/** A definition with every default filled in: what activities work with (and what workflow history holds). */
export interface ResolvedSource extends Omit<
  ParsedSource,
  '$schema' | 'headers' | 'queryParams' | 'badPages' | 'pagesPerActivity' | 'mapping'
> {
  headers: Record<string, HeaderValue>;
  queryParams?: Record<string, HeaderValue>;
  /** @default { retries: 4, action: 'dead-letter', maxDeadPages: 10 } */
  badPages?: BadPages;
  pagesPerActivity: number;
  mapping: RecordMapping;
}

/** An error about a secret header's or query parameter's value (any type: `Authorization: 12345`) names the field, never the value. */
function redactSecretValue(err: unknown, where: string): unknown {
  if (!(err instanceof ValidationError)) return err;
  for (const [section, rule] of [
    ['headers', SECRET_HEADER],
    ['queryParams', SECRET_PARAM],
  ] as const) {
    const prefix = `${where}.${section}.`;
    if (!err.field.startsWith(prefix)) continue;
    const [name, ...rest] = err.field.slice(prefix.length).split('.');
    if (!rule.test(name ?? '') || rest[0] === 'env' || err.value === '<redacted>') return err;
    return new ValidationError(err.field, '<redacted>', err.expected);
  }
  return err;
}

/** The cursor of a cursor-style source comes from exactly one place; the body's `next_cursor` when none is named. */
function resolveCursor(p: Pagination, where: string): Pagination {
  if (p.style !== 'cursor') return p;
  const given = (['nextCursorPath', 'cursorHeader', 'cursorFromLastRecord'] as const).filter((k) => p[k] !== undefined);
  if (given.length > 1)
    throw new ValidationError(
      `${where}.pagination.${given[1]}`,
      p[given[1]!],
      `only one place for the next cursor (${given[0]} is given too)`,
    );
  return given.length === 0 ? { ...p, nextCursorPath: 'next_cursor' } : p;
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
    throw redactSecretValue(err, where);
  }
  const { $schema: _schema, headers, pagesPerActivity, mapping, pagination: declaredPagination, ...def } = parsed;
  const pagination = resolveCursor(declaredPagination, where);
  const { features: declared, ...columns } = mapping;
  const features =
    declared && Object.fromEntries(Object.entries(declared).map(([name, f]) => [name, { ...f, path: f.path ?? name }]));
  return {
    ...def,
    pagination,
    headers: headers ?? {},
    pagesPerActivity: pagesPerActivity ?? (isParallelStyle(pagination.style) ? 1 : 10),
    mapping: { ...columns, ...(features ? { features } : {}) },
  };
}
