/**
 * `npm run serve`: the inference service. Serves the production version of every model declared in
 * MODELS_CONFIG (and of any other model asked for), hot-swapped on promotion; reads entities' online
 * features through Redis. Closes gracefully on SIGTERM/SIGINT: stops accepting, finishes in-flight
 * requests, then closes the pool and connections.
 */
import { config as loadConfigOnce } from '../config';
import { loadModelDeclarations } from '../catalog/models';
import { createOnlineCache } from '../feature-store/online-cache';
import { createPool } from '../postgres';
import { createRedis } from '../redis';
import { createMetrics } from './metrics';
import { ModelStore } from './model-store';
import { watchRegistry } from './registry-watch';
import { createScoringPool } from './scoring-pool';
import { buildServer } from './server';
import { webUi } from './ui/links';
import { retrainVisibility } from './ui/retrains';

async function main(): Promise<void> {
  const config = loadConfigOnce();
  const declarations = loadModelDeclarations(config.models.configPath);
  const declared = declarations.map((m) => m.name);
  const pool = createPool(config.postgres, 'mlops-serve');
  const redis = createRedis(config.redis);
  const metrics = createMetrics();
  const log = {
    info: (msg: string, f?: Record<string, unknown>) => console.log(JSON.stringify({ level: 'info', msg, ...f })),
    warn: (msg: string, f?: Record<string, unknown>) => console.warn(JSON.stringify({ level: 'warn', msg, ...f })),
  };
  const store = new ModelStore(pool, declared, metrics, log, config.mojoLoad);
  const scoring = createScoringPool({
    threads: config.serve.poolThreads,
    maxQueue: config.serve.poolMaxQueue,
    taskTimeoutMs: config.serve.poolTaskTimeoutMs,
  });
  const cache = createOnlineCache({ pool, redis, ttlS: config.redis.cacheTtlS });
  const app = await buildServer({
    config: config.serve,
    store,
    pool: scoring,
    metrics,
    entities: {
      latestOf: async (fs, ids) => (await cache.getLatestFeaturesMany(fs, ids)).map((l) => l?.features ?? null),
    },
    // Temporal is connected to lazily, by the first page that asks whether a retrain is running
    ui: {
      pool,
      retrains: retrainVisibility(config.temporal),
      declared: declarations,
      drift: config.drift,
      webUi: webUi(config.serve.uiTemporalUrl, config.temporal.namespace),
    },
    logger: false,
  });
  const watch = watchRegistry(config.postgres.url, store, config.serve.reconcileMs, log, metrics);
  await app.listen({ host: config.serve.host, port: config.serve.port });
  log.info('inference service listening', {
    url: `http://${config.serve.host}:${config.serve.port}`,
    pages: `http://${config.serve.host}:${config.serve.port}/ui/`,
    declared,
  });

  let closing = false;
  const close = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    log.info('closing', { signal });
    await app.close();
    await watch.close();
    await scoring.close();
    await pool.end();
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(`error: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
