/**
 * The inference service against the real registry (PostgreSQL), Redis and MOJOs trained on the
 * stack's H2O: predictions name the version that scored them; a promotion and a rollback are served
 * without a restart under continuous load with no failed request; a corrupt artifact and a golden-row
 * mismatch are refused while the old version keeps serving; a service started while PostgreSQL is
 * unreachable becomes ready once it is back; entity requests go through Redis; bad input gets its
 * status and a body naming the field and the value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { loadConfig } from '../../src/config';
import {
  MAX_NEGATIVE_FILLS,
  cacheKey,
  createOnlineCache,
  invalidateEntities,
} from '../../src/feature-store/online-cache';
import { sanitizeH2OId } from '../../src/h2o/ids';
import { writeGoldenRows } from '../../src/h2o/golden-rows';
import { cleanupTrainingRun } from '../../src/h2o/training';
import { goldenPathOf } from '../../src/mojo/golden';
import { loadMojoFile } from '../../src/mojo/load';
import { createRedis } from '../../src/redis';
import { promoteVersion, rollbackVersion } from '../../src/registry';
import { deleteFeatureSets } from '../helpers/feature-store-cleanup';
import { testPool } from '../helpers/postgres';
import { startService, type TestService } from '../helpers/serve';
import { registerArtifact } from '../helpers/versions';
import { uniqueName } from '../helpers/temporal';
import { prepareFixtures, trainFixture, type Fixtures } from '../helpers/mojo-fixtures';

const prefix = sanitizeH2OId(uniqueName('serve'));
const dir = join(loadConfig().stack.stateDir, 'test', prefix);
const model = prefix.replace(/-/g, '_');
const featureSet = `${model}_fs`;
const pool = testPool();
const redis = createRedis(loadConfig().redis);
let f: Fixtures;
let service: TestService;
const mojos: { v1: string; v2: string } = { v1: '', v2: '' };

const ROW = { x1: '0.5', x2: '3.2', x3: '7', c1: 'a', c2: 'L03', c3: 'east' };

async function post(url: string, body: unknown, raw?: string) {
  const res = await request(url, {
    method: 'POST',
    body: raw ?? JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return {
    status: res.statusCode,
    body: (await res.body.json()) as Record<string, unknown> & { predictions?: Record<string, unknown>[] },
  };
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Registers `path` as the next version (staging) and returns its number. */
async function register(path: string, shaOverride?: string): Promise<number> {
  return registerArtifact(pool, { model, featureSet, artifactPath: path, sha256: shaOverride ?? sha(path) });
}

async function promote(version: number): Promise<void> {
  const c = await pool.connect();
  try {
    await promoteVersion(c, { model, version, reason: 'test' });
  } finally {
    c.release();
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  f = await prepareFixtures(dir, prefix, { trainRows: 1500, scoreRows: 50 });
  for (const [key, ntrees] of [
    ['v1', 5],
    ['v2', 15],
  ] as const) {
    const { modelId, mojo } = await trainFixture(f, {
      name: key,
      algorithm: 'gbm',
      response: 'y_bin',
      params: { ntrees, max_depth: 4 },
    });
    const m = await loadMojoFile(mojo);
    await writeGoldenRows(f.h2o, {
      h2oModelId: modelId,
      frameId: f.scoringFrame,
      mojoPath: mojo,
      classes: m.classes,
      features: m.features,
    });
    mojos[key] = mojo;
  }
  await promote(await register(mojos.v1));
  service = await startService({
    declared: [model],
    serve: { maxRows: 100, bodyLimitBytes: 64 * 1024, poolMinRows: 10 },
  });
  await until('the service to be ready', async () => (await request(`${service.url}/readyz`)).statusCode === 200);
}, 300_000);

afterAll(async () => {
  await service?.close();
  if (f) await cleanupTrainingRun(f.h2o, prefix);
  await deleteFeatureSets(pool, featureSet);
  await pool.end();
  redis.disconnect();
});

describe('predictions', () => {
  it('score rows inline and on the pool, each naming the version, equal to the scorer', async () => {
    const one = await post(`${service.url}/v1/models/${model}/predict`, { rows: [ROW] });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ model, version: 1 });
    const p = one.body.predictions![0] as { version: number; label: string; probabilities: Record<string, number> };
    expect(p.version).toBe(1);
    expect(Object.keys(p.probabilities)).toEqual(['no', 'yes']);
    const many = await post(`${service.url}/v1/models/${model}/predict`, {
      rows: Array.from({ length: 50 }, () => ROW),
    });
    expect(many.body.predictions).toHaveLength(50);
    expect(many.body.predictions!.every((q) => JSON.stringify(q) === JSON.stringify(p))).toBe(true);
    const metrics = await (await request(`${service.url}/metrics`)).body.text();
    expect(metrics).toMatch(new RegExp(`mlops_serve_rows_scored_total\\{model="${model}",path="pool"\\} 50`));
    expect(metrics).toMatch(new RegExp(`mlops_serve_rows_scored_total\\{model="${model}",path="inline"\\} 1`));
    expect(metrics).toMatch(new RegExp(`mlops_serve_loaded_version\\{model="${model}"\\} 1`));
  });

  it('a missing feature is scored as missing and counted', async () => {
    const { x1: _dropped, ...partial } = ROW;
    const r = await post(`${service.url}/v1/models/${model}/predict`, {
      rows: [partial, { ...ROW, c1: 'never-seen' }],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ missing: 1, unseen: 1 });
    const metrics = await (await request(`${service.url}/metrics`)).body.text();
    expect(metrics).toMatch(new RegExp(`mlops_serve_missing_features_total\\{model="${model}"\\} [1-9]`));
  });
});

describe('hot swap under load', () => {
  /** Clients posting continuously; each answer recorded with when its request started. */
  async function load(durationMs: number, act: () => Promise<number>) {
    const answers: { started: number; version: number; status: number }[] = [];
    let stop = false;
    const clients = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const started = Date.now();
        const r = await post(`${service.url}/v1/models/${model}/predict`, { rows: [ROW, ROW] }).catch(() => ({
          status: 0,
          body: {} as Record<string, unknown>,
        }));
        answers.push({ started, version: Number(r.body.version ?? -1), status: r.status });
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const at = Date.now();
    const expected = await act();
    await new Promise((r) => setTimeout(r, durationMs));
    stop = true;
    await Promise.all(clients);
    return { answers, at, expected };
  }

  it('a promotion, then a rollback: no failed request, old or new only, all new within a second', async () => {
    const v2 = await register(mojos.v2);
    const swap = await load(2000, async () => (await promote(v2), v2));
    expect(swap.answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(new Set(swap.answers.map((a) => a.version))).toEqual(new Set([1, v2]));
    expect(swap.answers.filter((a) => a.started > swap.at + 1000 && a.version !== v2)).toEqual([]);
    expect(swap.answers.filter((a) => a.started > swap.at + 1000).length).toBeGreaterThan(10);

    const c = await pool.connect();
    const back = await load(2000, async () => {
      const r = await rollbackVersion(c, {
        model,
        toVersion: 1,
        reason: 'test rollback',
        workflowId: uniqueName('rb'),
        runId: 'r',
      });
      return r.version;
    }).finally(() => c.release());
    expect(back.answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(new Set(back.answers.map((a) => a.version))).toEqual(new Set([v2, back.expected]));
    expect(back.answers.filter((a) => a.started > back.at + 1000 && a.version !== back.expected)).toEqual([]);
    const metrics = await (await request(`${service.url}/metrics`)).body.text();
    expect(metrics).toMatch(new RegExp(`mlops_serve_swaps_total\\{model="${model}"\\} 2`));
  }, 60_000);

  it('a corrupt artifact and a golden-row mismatch are refused; the old version keeps serving', async () => {
    const serving = Number((await post(`${service.url}/v1/models/${model}/predict`, { rows: [ROW] })).body.version);
    // bytes changed after the sha256 was recorded
    const corrupt = join(dir, 'corrupt.zip');
    const bytes = readFileSync(mojos.v2);
    const good = sha(mojos.v2);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(corrupt, bytes);
    await promote(await register(corrupt, good));
    await until('the refusal', async () => service.store.readiness().models[model]?.problem !== undefined);
    expect(service.store.readiness().models[model]).toMatchObject({
      version: serving,
      problem: expect.stringMatching(/sha256: the MOJO file has sha256 [0-9a-f]{64}, the registry recorded/),
    });
    expect((await post(`${service.url}/v1/models/${model}/predict`, { rows: [ROW] })).body.version).toBe(serving);

    // the right MOJO, but golden rows H2O never produced
    const mismatched = join(dir, 'mismatch.zip');
    copyFileSync(mojos.v2, mismatched);
    const golden = JSON.parse(readFileSync(goldenPathOf(mojos.v2), 'utf8')) as { rows: { expected: number[] }[] };
    golden.rows[2]!.expected[2] = golden.rows[2]!.expected[2]! + 0.001;
    writeFileSync(goldenPathOf(mismatched), JSON.stringify(golden));
    await promote(await register(mismatched));
    await until('the golden-row refusal', async () =>
      /golden rows/.test(service.store.readiness().models[model]?.problem ?? ''),
    );
    expect(service.store.readiness().models[model]!.problem).toMatch(
      /golden rows: row 2 yes scores .* where H2O predicted/,
    );
    const r = await post(`${service.url}/v1/models/${model}/predict`, { rows: [ROW] });
    expect(r).toMatchObject({ status: 200, body: { version: serving } });
    const ready = await request(`${service.url}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(JSON.stringify(await ready.body.json())).toContain('golden rows');
    const metrics = await (await request(`${service.url}/metrics`)).body.text();
    expect(metrics).toMatch(new RegExp(`mlops_serve_refused_artifacts_total\\{model="${model}"\\} 2`));
    // back to a good production version for the tests below
    await promote(await register(mojos.v2));
    await until('a good version again', async () => service.store.readiness().models[model]?.problem === undefined);
  }, 60_000);
});

describe('a service started while PostgreSQL is unreachable', () => {
  it('is not ready, then ready once PostgreSQL is back', async () => {
    // A TCP proxy to the real PostgreSQL that refuses connections until it is opened.
    const pg = loadConfig().postgres;
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as { port: number }).port;
    await new Promise<void>((r) => free.close(() => r()));
    const url = new URL(pg.url);
    url.port = String(port);
    const late = await startService({ declared: [model], databaseUrl: url.href, serve: { reconcileMs: 300 } });
    let proxy: Server | undefined;
    const sockets: Socket[] = [];
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const before = await request(`${late.url}/readyz`);
      expect(before.statusCode).toBe(503);
      expect(await before.body.json()).toMatchObject({ ready: false, models: { [model]: { version: null } } });
      proxy = createServer((client) => {
        const upstream = connect(pg.port, pg.host);
        sockets.push(client, upstream);
        client.pipe(upstream).pipe(client);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
      await new Promise<void>((r) => proxy!.listen(port, '127.0.0.1', r));
      await until(
        'readiness after PostgreSQL is back',
        async () => (await request(`${late.url}/readyz`)).statusCode === 200,
        20_000,
      );
    } finally {
      await late.close();
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    }
  }, 60_000);
});

describe('entity requests through the online cache', () => {
  it('a miss fills Redis, a hit is served from Redis, an ingest invalidates', async () => {
    const entity = uniqueName('c');
    const insert = (features: Record<string, string>, at: string) =>
      pool.query(
        `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source) VALUES ($1, $2, $3, $4, 'serve-test')`,
        [featureSet, entity, at, JSON.stringify(features)],
      );
    await insert(ROW, new Date(Date.now() - 3_600_000).toISOString());
    const key = cacheKey(featureSet, entity);
    expect(await redis.exists(key)).toBe(0);
    const first = await post(`${service.url}/v1/models/${model}/predict`, { entities: [entity] });
    expect(first.status).toBe(200);
    expect(first.body.predictions![0]).toMatchObject({ entity });
    expect(JSON.parse((await redis.get(key))!).f).toEqual(ROW);
    // a newer row written behind the cache's back: a hit still answers from Redis
    const changed = { ...ROW, x1: '-3.5', c1: 'e', x2: '9.9' };
    await insert(changed, new Date().toISOString());
    const hit = await post(`${service.url}/v1/models/${model}/predict`, { entities: [entity] });
    expect(hit.body.predictions![0]).toEqual(first.body.predictions![0]);
    // what ingestion does after its transaction commits
    await invalidateEntities(redis, featureSet, [entity]);
    const fresh = await post(`${service.url}/v1/models/${model}/predict`, { entities: [entity] });
    expect(JSON.parse((await redis.get(key))!).f).toEqual(changed);
    const direct = await post(`${service.url}/v1/models/${model}/predict`, { rows: [changed] });
    expect(fresh.body.predictions![0]).toEqual({ ...direct.body.predictions![0], entity });
    expect(fresh.body.predictions![0]).not.toEqual(first.body.predictions![0]);
  });

  it('many entities are one batch: one MGET, one query for the misses, a bounded number of "none" entries', async () => {
    const known = [uniqueName('k'), uniqueName('k'), uniqueName('k')];
    for (const [i, id] of known.entries())
      await pool.query(
        `INSERT INTO features.feature_values (feature_set, entity_id, event_time, features, source) VALUES ($1, $2, $3, $4, 'serve-test')`,
        [featureSet, id, new Date(Date.now() - 60_000).toISOString(), JSON.stringify({ ...ROW, x3: String(i) })],
      );
    const unknown = Array.from({ length: 500 }, (_, i) => `${uniqueName('u')}-${i}`);
    const counted = testPool();
    let queries = 0;
    counted.on('acquire', () => queries++);
    const cache = createOnlineCache({ pool: counted, redis, ttlS: 60 });
    try {
      const ids = [known[0]!, ...unknown, known[1]!, known[2]!, known[0]!];
      const got = await cache.getLatestFeaturesMany(featureSet, ids);
      expect(queries).toBe(1);
      expect(got.map((g) => g?.entityId ?? null)).toEqual(ids.map((id) => (known.includes(id) ? id : null)));
      expect(got[ids.length - 2]!.features).toEqual({ ...ROW, x3: '2' });
      expect(await redis.exists(...unknown.map((id) => cacheKey(featureSet, id)))).toBe(MAX_NEGATIVE_FILLS);
      // now all cached: Redis answers, no query
      const again = await cache.getLatestFeaturesMany(featureSet, known);
      expect(queries).toBe(1);
      expect(again.map((g) => g?.cached)).toEqual([true, true, true]);
    } finally {
      await counted.end();
    }
    const r = await post(`${service.url}/v1/models/${model}/predict`, { entities: [...known, known[0]] });
    expect(r.status).toBe(200);
    expect(r.body.predictions!.map((p) => p.entity)).toEqual([...known, known[0]]);
    const missing = await post(`${service.url}/v1/models/${model}/predict`, { entities: [known[0], unknown[7]] });
    expect(missing).toMatchObject({ status: 404, body: { field: 'entities[1]', value: unknown[7] } });
  });
});

describe('bad input gets a 4xx naming the field and the value', () => {
  const url = () => `${service.url}/v1/models/${model}/predict`;
  it.each([
    [
      'an unknown model',
      () => post(`${service.url}/v1/models/no_such_model/predict`, { rows: [ROW] }),
      404,
      'model',
      'no_such_model',
    ],
    [
      'an unknown version',
      () => post(`${service.url}/v1/models/${model}/versions/999/predict`, { rows: [ROW] }),
      404,
      'version',
      999,
    ],
    [
      'a string where a number is declared',
      () => post(url(), { rows: [ROW, { ...ROW, x2: 'lots' }] }),
      400,
      'rows[1].x2',
      'lots',
    ],
    ['too many rows', () => post(url(), { rows: Array.from({ length: 101 }, () => ROW) }), 413, 'rows', 101],
    [
      'a body over the size limit (its declared length)',
      () => post(url(), null, JSON.stringify({ rows: [{ ...ROW, pad: 'x'.repeat(70_000) }] })),
      413,
      'body',
      JSON.stringify({ rows: [{ ...ROW, pad: 'x'.repeat(70_000) }] }).length,
    ],
    [
      'a model name the registry cannot hold',
      () => post(`${service.url}/v1/models/${encodeURIComponent("x' OR '1'='1")}/predict`, { rows: [ROW] }),
      400,
      'model',
      "x' OR '1'='1",
    ],
    [
      'a version in another notation',
      () => post(`${url().replace('/predict', '')}/versions/1e0/predict`, { rows: [ROW] }),
      404,
      'version',
      '1e0',
    ],
    ['malformed JSON', () => post(url(), null, '{"rows": [{"x1": 1,'), 400, 'body', null],
    ['neither rows nor entities', () => post(url(), { records: [] }), 400, 'body', null],
  ] as const)('%s', async (_name, send, status, field, value) => {
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ field, value });
    expect(String(r.body.error)).not.toBe('');
    if (typeof value === 'string') expect(String(r.body.error)).toContain(value);
  });

  it('under memory pressure: 503 with Retry-After instead of queueing', async () => {
    // an RSS limit below any Node process's: under-pressure's next sample sheds every request
    const tight = await startService({ declared: [model], serve: { maxRssMb: 1 } });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const res = await request(`${tight.url}/v1/models/${model}/predict`, {
        method: 'POST',
        body: JSON.stringify({ rows: [ROW] }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(await res.body.json()).toMatchObject({ field: 'rssBytes' });
    } finally {
      await tight.close();
    }
  });

  it('an unknown entity is a 404 naming it', async () => {
    const r = await post(url(), { entities: ['nobody-at-all'] });
    expect(r).toMatchObject({ status: 404, body: { field: 'entities[0]', value: 'nobody-at-all' } });
  });
});
