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
import { predsBuffer, toPrediction } from '../mojo/predict';
import type { ScoringValue } from '../mojo/rows';
import type { LoadedVersion } from './loaded-version';
import type { Metrics } from './metrics';
import type { ModelStore } from './model-store';
import { PoolRefusal, scoresInline, type ScoringPool } from './scoring-pool';
import { watchEventLoopLag } from './event-loop-lag';
import { scoreBatch, type ScoreResult } from './score-worker';
import type { UiDeps } from './ui/deps';
import { VersionRefusedError } from './version-loads';
import { registerUi, uiErrorPage, uiNotFound } from './ui/routes';

export interface EntityFeatures {
  /** the entity's latest features in `featureSet`, or null when it has none */
  latest(featureSet: string, entityId: string): Promise<Record<string, ScoringValue> | null>;
}

export interface ServerDeps {
  config: ServeConfig;
  store: ModelStore;
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

const featureValue = { type: ['string', 'number', 'boolean', 'null'] };
const predictSchema = (maxRows: number) => ({
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      rows: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: featureValue } },
      entities: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 256 } },
    },
    oneOf: [{ required: ['rows'] }, { required: ['entities'] }],
  },
  // maxItems is checked in the handler, to answer 413 rather than 400
  description: `at most ${maxRows} rows or entities`,
});

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, store, metrics } = deps;
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    ajv: { customOptions: { allErrors: false, allowUnionTypes: true } },
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
      (deps.ui && uiErrorPage(reply, req.url, err)) || sendError(reply, err),
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
    const loaded = version === undefined ? await store.productionOf(model) : await store.versionOf(model, version);
    if (!loaded) {
      throw version === undefined
        ? new HttpError(404, 'model', model, `model ${JSON.stringify(model)} has no production version`)
        : new HttpError(404, 'version', version, `model ${JSON.stringify(model)} has no version ${version}`);
    }
    const rows = body.rows ?? (await entityRows(loaded, body.entities!));
    const count = rows.length;
    if (count > config.maxRows)
      throw new HttpError(
        413,
        body.rows ? 'rows' : 'entities',
        count,
        `${count} ${body.rows ? 'rows' : 'entities'} in one request; at most ${config.maxRows} (SERVE_MAX_ROWS)`,
      );
    return respond(loaded, rows, body.entities);
  };

  const entityRows = async (loaded: LoadedVersion, ids: string[]): Promise<Record<string, ScoringValue>[]> => {
    if (ids.length > config.maxRows)
      throw new HttpError(
        413,
        'entities',
        ids.length,
        `${ids.length} entities in one request; at most ${config.maxRows} (SERVE_MAX_ROWS)`,
      );
    if (!loaded.featureSet)
      throw new HttpError(
        400,
        'entities',
        null,
        `${loaded.model} v${loaded.version} has no feature set to read entities from; send rows`,
      );
    return Promise.all(
      ids.map(async (id, i) => {
        const features = await deps.entities.latest(loaded.featureSet!, id);
        if (!features)
          throw new HttpError(
            404,
            `entities[${i}]`,
            id,
            `entity ${JSON.stringify(id)} has no features in feature set ${JSON.stringify(loaded.featureSet)}`,
          );
        return features;
      }),
    );
  };

  const respond = async (
    loaded: LoadedVersion,
    rows: Record<string, ScoringValue>[],
    entities: string[] | undefined,
  ) => {
    const inline = scoresInline(rows.length, loaded.mojo.features.length, config);
    const result: ScoreResult = inline
      ? scoreBatch(loaded.mojo, loaded.encoder, rows)
      : await deps.pool
          .score({ artifactPath: loaded.artifactPath, sha256: loaded.sha256, rows })
          .catch((err: unknown) => {
            if (err instanceof PoolRefusal) metrics.poolRefused.inc({ reason: err.reason });
            throw err;
          });
    if (!result.ok) throw new ValidationError(result.field, result.value, result.expected);
    metrics.rows.inc({ model: loaded.model, path: inline ? 'inline' : 'pool' }, rows.length);
    if (result.missing) metrics.missing.inc({ model: loaded.model }, result.missing);
    if (result.unseen) metrics.unseen.inc({ model: loaded.model }, result.unseen);
    const one = predsBuffer(loaded.mojo);
    const classes = loaded.mojo.classes;
    const predictions: RowPrediction[] = [];
    for (let i = 0; i < rows.length; i++) {
      one.set(result.preds.subarray(i * result.width, (i + 1) * result.width));
      const p = toPrediction(loaded.mojo, one);
      const scored: RowPrediction =
        'value' in p
          ? { version: loaded.version, value: p.value }
          : {
              version: loaded.version,
              label: p.label,
              probabilities: Object.fromEntries(classes!.map((c, k) => [c, p.probabilities[k]!])),
            };
      if (entities) scored.entity = entities[i]!;
      predictions.push(scored);
    }
    return {
      model: loaded.model,
      version: loaded.version,
      predictions,
      missing: result.missing,
      unseen: result.unseen,
    };
  };

  app.post<{ Params: { model: string }; Body: PredictBody }>(
    '/v1/models/:model/predict',
    { schema: predictSchema(config.maxRows) },
    async (req) => predict(req.params.model, undefined, req.body),
  );
  app.post<{ Params: { model: string; version: string }; Body: PredictBody }>(
    '/v1/models/:model/versions/:version/predict',
    { schema: predictSchema(config.maxRows) },
    async (req) => {
      const v = Number(req.params.version);
      if (!Number.isInteger(v) || v < 1)
        throw new HttpError(
          404,
          'version',
          req.params.version,
          `version ${JSON.stringify(req.params.version)} is not a version number`,
        );
      return predict(req.params.model, v, req.body);
    },
  );
  return app;
}

function sendError(reply: FastifyReply, err: FastifyError | HttpError | Error): FastifyReply {
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
    const field = `body${v?.instancePath ? v.instancePath.replace(/\//g, '.') : ''}`;
    return reply.status(400).send({
      error: `${field} ${v?.message ?? 'is invalid'}: expected {"rows":[{feature: value}]} or {"entities":["id"]}`,
      field,
      value: null,
    });
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return reply.status(413).send({
      error: `the body is larger than ${fe.message.match(/\d+/)?.[0] ?? 'the limit'} bytes (SERVE_BODY_LIMIT_BYTES)`,
      field: 'body',
      value: null,
    });
  if (fe.statusCode === 400 && /JSON/i.test(fe.message))
    return reply.status(400).send({ error: `the body is not valid JSON: ${fe.message}`, field: 'body', value: null });
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return reply.status(fe.statusCode).send({ error: fe.message, field: 'request', value: null });
  reply.log.error(err);
  return reply.status(500).send({ error: 'internal error', field: 'request', value: null });
}
