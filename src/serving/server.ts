/**
 * The inference service's HTTP layer (Fastify: JSON schemas on routes compile to fast validators and
 * serializers, hooks for metrics, a bounded body parser and graceful close built in).
 *
 *   POST /v1/models/:model/predict                 {"rows":[{...}]} | {"entities":["c00042"]}
 *   POST /v1/models/:model/versions/:version/predict
 *   GET  /healthz   /readyz   /metrics
 *   GET  /ui/ …     the model pages (src/serving/ui/routes.ts), when `ui` is given
 *
 * Every error body is {error, field, value}: the field and the value that were refused.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import underPressure from '@fastify/under-pressure';
import type { ServeConfig } from '../config';
import { ValidationError } from '../shared/errors';
import { MODEL_NAME, modelName } from '../shared/names';
import { checkScored } from '../mojo/predict';
import type { NonFinite, ScoringValue } from '../mojo/rows';
import type { LoadedVersion } from './loaded-version';
import type { Metrics } from './metrics';
import type { ModelStore } from './model-store';
import { PoolRefusal, scoresInline, type ScoringPool } from './scoring-pool';
import { watchEventLoopLag } from './event-loop-lag';
import { hostCheck } from './host-check';
import { predictBodySchema, scanBounds, type BodyLimits } from './predict-body';
import { scoreBatch, type ScoreResult } from './score-worker';
import type { UiDeps } from './ui/deps';
import { VersionRefusedError } from './version-loads';
import { registerUi, uiErrorPage, uiNotFound } from './ui/routes';

export interface EntityFeatures {
  /** each entity's latest features in `featureSet`, in their order, null when it has none (one batch read) */
  latestOf(featureSet: string, entityIds: readonly string[]): Promise<(Record<string, ScoringValue> | null)[]>;
}

/** What the routes ask of the model store (ModelStore). */
export type ServedModels = Pick<ModelStore, 'productionOf' | 'versionOf' | 'readiness'>;

export interface ServerDeps {
  config: ServeConfig;
  store: ServedModels;
  pool: ScoringPool;
  metrics: Metrics;
  entities: EntityFeatures;
  /** the model pages under /ui/; absent: not served */
  ui?: UiDeps;
  logger?: boolean;
}

/** One row's answer: the version that scored it, then the label and class probabilities, or the value. */
type RowPrediction = { version: number; entity?: string } & (
  { label: string; probabilities: Record<string, number> } | { value: number }
);

interface PredictBody {
  rows?: Record<string, ScoringValue>[];
  entities?: string[];
}

/** A model's row counters, each already labelled. */
interface ModelCounters {
  inline: { inc(n: number): void };
  pool: { inc(n: number): void };
  missing: { inc(n: number): void };
  unseen: { inc(n: number): void };
}

/** An error answer naming what was refused. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
  }
}

/** The 200 answer's shape: fast-json-stringify serialises it (faster than JSON.stringify, and only these fields). */
const predictResponse = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    version: { type: 'integer' },
    predictions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          version: { type: 'integer' },
          entity: { type: 'string' },
          label: { type: 'string' },
          probabilities: { type: 'object', additionalProperties: { type: 'number' } },
          value: { type: 'number' },
        },
      },
    },
    missing: { type: 'integer' },
    unseen: { type: 'integer' },
  },
};
const predictSchema = (l: BodyLimits) => ({
  body: predictBodySchema(l),
  response: { 200: predictResponse },
  description: `at most ${l.maxRows} rows or entities of at most ${l.maxFeatures} features`,
});

/** A version number as the registry stores it (integer): 1 to 2^31 - 1, digits only (not `1e3`, not `0x10`). */
const VERSION = /^[1-9][0-9]{0,9}$/;
const MAX_VERSION = 2 ** 31 - 1;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, store, metrics } = deps;
  const limits: BodyLimits = {
    maxRows: config.maxRows,
    maxFeatures: config.maxFeatures,
    maxValueLength: config.maxValueLength,
  };
  const nonFinite: NonFinite = config.allowNonFinite ? 'accept' : 'refuse';
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    // A client gets requestTimeout for a whole request, then 408 and the connection closed. Node 20
    // reads it when the server is created (Fastify's own option is assigned later, and ignored), and
    // checks every connectionsCheckingInterval (by default 30 s, a trickle's head start).
    requestTimeout: config.requestTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor((config.requestTimeoutMs || 30_000) / 10))),
    },
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    ajv: { customOptions: { allErrors: false, allowUnionTypes: true } },
  });

  const hostAllowed = hostCheck(config.host, config.allowedHosts);
  if (hostAllowed)
    app.addHook('onRequest', async (req, reply) => {
      if (hostAllowed(req.headers.host)) return;
      const host = req.headers.host ?? null;
      return reply.status(421).send({
        error: `Host ${JSON.stringify(host)} is not a loopback name: the service listens on ${config.host} and answers localhost, 127.0.0.1 and [::1] (add names to SERVE_ALLOWED_HOSTS)`,
        field: 'host',
        value: host,
      });
    });

  const lag = watchEventLoopLag();
  app.addHook('onClose', async () => lag.stop());
  await app.register(underPressure, {
    maxRssBytes: config.maxRssMb > 0 ? config.maxRssMb * 1024 * 1024 : 0,
    retryAfter: 5,
    // event-loop lag through our own measure (event-loop-lag.ts); 0 disables it
    ...(config.maxEventLoopDelayMs > 0
      ? { healthCheck: async () => lag.current() <= config.maxEventLoopDelayMs, healthCheckInterval: 200 }
      : {}),
    // Sending is how the handler answers (a handler that does not send lets the request through).
    pressureHandler: (_req, reply, type, value) => {
      const [field, measured] =
        type === 'healthCheck' ? ['eventLoopLagMs', Math.round(lag.current())] : [type, value ?? null];
      void reply
        .status(503)
        .header('Retry-After', '5')
        .send({ error: `the service is overloaded (${field} ${measured}); retry after 5 s`, field, value: measured });
    },
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(
    (err: FastifyError | HttpError | Error, req, reply) =>
      (deps.ui && uiErrorPage(reply, req.url, err)) || sendError(reply, err, config.bodyLimitBytes),
  );
  app.setNotFoundHandler(
    (req, reply) =>
      (deps.ui && uiNotFound(reply, req.url)) ||
      reply.status(404).send({ error: `no route ${req.method} ${req.url}`, field: 'url', value: req.url }),
  );
  if (deps.ui) registerUi(app, deps.ui);

  // Liveness and metrics pass under pressure: an overloaded service is alive, and should be watched.
  const unshed = { config: { pressureHandler: () => undefined } };
  app.get('/healthz', unshed, async () => ({ status: 'alive' }));
  app.get('/readyz', async (_req, reply) => {
    const r = store.readiness();
    return reply.status(r.ready ? 200 : 503).send(r);
  });
  app.get('/metrics', unshed, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  const predict = async (model: string, version: number | undefined, body: PredictBody) => {
    if (!MODEL_NAME.test(model))
      throw new HttpError(400, 'model', model, `model ${JSON.stringify(model)} is not ${modelNameRule}`);
    const loaded = version === undefined ? await store.productionOf(model) : await store.versionOf(model, version);
    if (!loaded) {
      throw version === undefined
        ? new HttpError(404, 'model', model, `model ${JSON.stringify(model)} has no production version`)
        : new HttpError(404, 'version', version, `model ${JSON.stringify(model)} has no version ${version}`);
    }
    // the row and entity counts were bounded before parsing (scanBounds) and by the schema
    const rows = body.rows ?? (await entityRows(loaded, body.entities!));
    return respond(loaded, rows, body.entities);
  };

  const entityRows = async (loaded: LoadedVersion, ids: string[]): Promise<Record<string, ScoringValue>[]> => {
    if (!loaded.featureSet)
      throw new HttpError(
        400,
        'entities',
        null,
        `${loaded.model} v${loaded.version} has no feature set to read entities from; send rows`,
      );
    const found = await deps.entities.latestOf(loaded.featureSet, ids);
    return found.map((features, i) => {
      if (!features)
        throw new HttpError(
          404,
          `entities[${i}]`,
          ids[i],
          `entity ${JSON.stringify(ids[i])} has no features in feature set ${JSON.stringify(loaded.featureSet)}`,
        );
      return features;
    });
  };

  // The per-model counters, labelled once per model rather than hashing labels on every request.
  const counters = new Map<string, ModelCounters>();
  const countersOf = (model: string): ModelCounters => {
    let c = counters.get(model);
    if (!c) {
      c = {
        inline: metrics.rows.labels({ model, path: 'inline' }),
        pool: metrics.rows.labels({ model, path: 'pool' }),
        missing: metrics.missing.labels({ model }),
        unseen: metrics.unseen.labels({ model }),
      };
      counters.set(model, c);
    }
    return c;
  };

  const respond = async (
    loaded: LoadedVersion,
    rows: Record<string, ScoringValue>[],
    entities: string[] | undefined,
  ) => {
    const inline = scoresInline(rows.length, loaded.mojo.features.length, config);
    const result: ScoreResult = inline
      ? scoreBatch(loaded.mojo, loaded.encoder, rows, nonFinite)
      : await deps.pool
          .score({ artifactPath: loaded.artifactPath, sha256: loaded.sha256, rows, nonFinite })
          .catch((err: unknown) => {
            if (err instanceof PoolRefusal) metrics.poolRefused.inc({ reason: err.reason });
            throw err;
          });
    if (!result.ok) throw new ValidationError(result.field, result.value, result.expected);
    const counted = countersOf(loaded.model);
    (inline ? counted.inline : counted.pool).inc(rows.length);
    if (result.missing) counted.missing.inc(result.missing);
    if (result.unseen) counted.unseen.inc(result.unseen);
    const { preds, width } = result;
    const classes = loaded.mojo.classes;
    const predictions = new Array<RowPrediction>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      // row i's score is preds[at .. at + width): read in place, not through a subarray per row
      const at = i * width;
      checkScored(preds, entities ? `entities[${i}]` : `rows[${i}]`, at, at + width);
      let scored: RowPrediction;
      if (!classes) scored = { version: loaded.version, value: preds[at]! };
      else {
        // as EasyPredictModelWrapper: the label index first, then the probabilities in class order
        const probabilities: Record<string, number> = {};
        for (let k = 0; k < classes.length; k++) probabilities[classes[k]!] = preds[at + k + 1]!;
        scored = { version: loaded.version, label: classes[preds[at]!]!, probabilities };
      }
      if (entities) scored.entity = entities[i]!;
      predictions[i] = scored;
    }
    return {
      model: loaded.model,
      version: loaded.version,
      predictions,
      missing: result.missing,
      unseen: result.unseen,
    };
  };

  // The predict routes in their own scope, for their JSON parser: the bounds are scanned before parsing.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const refused = scanBounds(body as string, limits);
      if (refused) done(new HttpError(refused.status, refused.field, refused.value, refused.message), undefined);
      else void jsonParser(req, body as string, done);
    });
    scope.post<{ Params: { model: string }; Body: PredictBody }>(
      '/v1/models/:model/predict',
      { schema: predictSchema(limits) },
      async (req) => predict(req.params.model, undefined, req.body),
    );
    scope.post<{ Params: { model: string; version: string }; Body: PredictBody }>(
      '/v1/models/:model/versions/:version/predict',
      { schema: predictSchema(limits) },
      async (req) => {
        const text = req.params.version;
        const v = VERSION.test(text) ? Number(text) : Number.NaN;
        if (!(v <= MAX_VERSION))
          throw new HttpError(
            404,
            'version',
            text,
            `version ${JSON.stringify(text)} is not a version number (1 to ${MAX_VERSION}, digits only)`,
          );
        return predict(req.params.model, v, req.body);
      },
    );
  });
  return app;
}

/** names.ts's rule for a model name, as its schema words it */
const modelNameRule = modelName.safeParse('').error?.issues[0]?.message ?? 'a model name';

/** Where an AJV error points (`/rows/3/x1`) as the encoder names it (`rows[3].x1`). */
function fieldOf(instancePath: string): string {
  let field = '';
  for (const part of instancePath.split('/').slice(1))
    field += /^\d+$/.test(part) ? `[${part}]` : field ? `.${part}` : part;
  return field || 'body';
}

/** The body's value at an AJV instance path. */
function valueAt(body: unknown, instancePath: string): unknown {
  let v = body;
  for (const part of instancePath.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

/** A value to echo back: long strings cut (a refused 200 k-character value is not sent back whole). */
function shown(v: unknown): unknown {
  if (typeof v === 'string' && v.length > 64) return `${v.slice(0, 64)}...`;
  return Array.isArray(v) || (typeof v === 'object' && v !== null) ? null : (v ?? null);
}

function sendError(reply: FastifyReply, err: FastifyError | HttpError | Error, bodyLimitBytes: number): FastifyReply {
  if (err instanceof HttpError)
    return reply.status(err.status).send({ error: err.message, field: err.field, value: err.value });
  if (err instanceof PoolRefusal)
    return reply
      .status(503)
      .header('Retry-After', '1')
      .send({ error: err.message, field: err.field, value: err.value });
  if (err instanceof VersionRefusedError)
    return reply.status(409).send({ error: err.message, field: 'version', value: err.version });
  if (err instanceof ValidationError)
    return reply.status(400).send({ error: err.message, field: err.field, value: err.value ?? null });
  const fe = err as FastifyError;
  if (fe.validation) {
    const v = fe.validation[0];
    const path = v?.instancePath ?? '';
    const value = valueAt(reply.request.body, path);
    const field = fieldOf(path);
    // the bounds (normally met by scanBounds before parsing): too many is 413, as SERVE_BODY_LIMIT_BYTES is
    if (v?.keyword === 'maxItems' || v?.keyword === 'maxProperties') {
      const count = Array.isArray(value) ? value.length : Object.keys(value ?? {}).length;
      return reply.status(413).send({ error: `${field} has ${count} entries; ${v.message}`, field, value: count });
    }
    // a propertyNames refusal names the key on the error itself
    const key = (v as { propertyName?: string } | undefined)?.propertyName;
    if (key !== undefined) {
      const named = `${field}.${key.length > 64 ? `${key.slice(0, 64)}...` : key}`;
      return reply.status(400).send({
        error: `${named}: a feature name of ${key.length} characters; at most ${(v!.params as { limit?: number }).limit ?? '?'} (SERVE_MAX_VALUE_LENGTH)`,
        field: named,
        value: shown(key),
      });
    }
    const length = typeof value === 'string' ? ` (${value.length} characters)` : '';
    return reply.status(400).send({
      error: `${field} ${v?.message ?? 'is invalid'}${length}: expected {"rows":[{feature: value}]} or {"entities":["id"]}`,
      field,
      value: shown(value),
    });
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const declared = Number(reply.request.headers['content-length']);
    return reply.status(413).send({
      error: `the body is larger than ${bodyLimitBytes} bytes (SERVE_BODY_LIMIT_BYTES)`,
      field: 'body',
      value: Number.isSafeInteger(declared) ? declared : null,
    });
  }
  if (fe.statusCode === 400 && /JSON/i.test(fe.message))
    return reply.status(400).send({ error: `the body is not valid JSON: ${fe.message}`, field: 'body', value: null });
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return reply.status(fe.statusCode).send({ error: fe.message, field: 'request', value: null });
  reply.log.error(err);
  return reply.status(500).send({ error: 'internal error', field: 'request', value: null });
}
