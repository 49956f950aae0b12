/** The inference service in the test process, on an ephemeral port, with the real PostgreSQL and Redis. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type MojoLoadConfig, type ServeConfig, type TemporalConfig } from '../../src/config';
import { createOnlineCache } from '../../src/feature-store/online-cache';
import { createPool } from '../../src/postgres';
import { createRedis } from '../../src/redis';
import { createMetrics, type Metrics } from '../../src/serving/metrics';
import { ModelStore } from '../../src/serving/model-store';
import { watchRegistry } from '../../src/serving/registry-watch';
import { createScoringPool } from '../../src/serving/scoring-pool';
import { buildServer } from '../../src/serving/server';
import { webUi } from '../../src/serving/ui/links';
import { retrainVisibility } from '../../src/serving/ui/retrains';
import type { ModelDeclaration } from '../../src/shared/model-declaration';

export interface TestService {
  url: string;
  store: ModelStore;
  metrics: Metrics;
  close(): Promise<void>;
}

/**
 * `host`/`port`: where to listen (default 127.0.0.1 on an ephemeral port); two replicas can share a port on 127.0.0.1 and 127.0.0.2. `configure` adds routes before it listens (bench:serve's empty route).
 * The model pages (/ui/) read `declarations` (default none) and ask `temporal` (default the stack's) whether retrains run.
 */
export async function startService(
  options: {
    declared?: string[];
    serve?: Partial<ServeConfig>;
    mojoLoad?: Partial<MojoLoadConfig>;
    databaseUrl?: string;
    host?: string;
    port?: number;
    configure?: (app: FastifyInstance) => void;
    declarations?: ModelDeclaration[];
    temporal?: TemporalConfig;
  } = {},
): Promise<TestService> {
  const base = loadConfig();
  const pgConfig = { ...base.postgres, url: options.databaseUrl ?? base.postgres.url };
  const pool = createPool(pgConfig, 'mlops-serve-test');
  const redis = createRedis(base.redis);
  const metrics = createMetrics();
  const quiet = { info: () => {}, warn: () => {} };
  const store = new ModelStore(pool, options.declared ?? [], metrics, quiet, { ...base.mojoLoad, ...options.mojoLoad });
  const serve: ServeConfig = { ...base.serve, port: 0, reconcileMs: 1000, ...options.serve };
  const scoring = createScoringPool({
    threads: 2,
    maxQueue: serve.poolMaxQueue,
    taskTimeoutMs: serve.poolTaskTimeoutMs,
  });
  const cache = createOnlineCache({ pool, redis, ttlS: 60 });
  const temporal = options.temporal ?? base.temporal;
  const ui = {
    pool,
    retrains: retrainVisibility(temporal),
    declared: options.declarations ?? [],
    drift: base.drift,
    webUi: webUi(serve.uiTemporalUrl, temporal.namespace),
  };
  const app = await buildServer({
    config: serve,
    store,
    pool: scoring,
    metrics,
    entities: {
      latestOf: async (fs, ids) => (await cache.getLatestFeaturesMany(fs, ids)).map((l) => l?.features ?? null),
    },
    ui,
  });
  options.configure?.(app);
  const watch = watchRegistry(pgConfig.url, store, serve.reconcileMs, quiet, metrics);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    store,
    metrics,
    async close() {
      await app.close();
      await watch.close();
      await scoring.close();
      await pool.end();
      redis.disconnect();
    },
  };
}
