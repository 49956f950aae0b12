/**
 * The predict path's bounds, without the stack: the service's server (buildServer) over a real MOJO
 * (a GLM written by test/helpers/glm-mojo.ts, loaded by the platform's loader) behind a small in-test
 * store. Each bound refuses before the work it bounds: a body's size and shape before parsing, names
 * before the registry is asked, non-finite values before scoring, a NaN score before a label.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type ServeConfig } from '../../src/config';
import { loadMojo } from '../../src/mojo/load';
import { checkScored } from '../../src/mojo/predict';
import { parseJavaDouble, rowEncoder } from '../../src/mojo/rows';
import type { LoadedVersion } from '../../src/serving/loaded-version';
import { createMetrics } from '../../src/serving/metrics';
import { scanBounds } from '../../src/serving/predict-body';
import { createScoringPool } from '../../src/serving/scoring-pool';
import { buildServer, type ServedModels } from '../../src/serving/server';
import { glmMojoBytes, type GlmMojoOptions } from '../helpers/glm-mojo';

const scoring = createScoringPool({ threads: 1, maxQueue: 64, taskTimeoutMs: 600_000 });
const apps: FastifyInstance[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await scoring.close();
});

interface Served {
  app: FastifyInstance;
  /** every model (and model@version) the store was asked for */
  asked: string[];
}

/** The service over model `churn` v3, a GLM; `serve` overrides the defaults (rows are scored inline below 64). */
async function serve(mojo: GlmMojoOptions = { meanImputation: false }, overrides: Partial<ServeConfig> = {}) {
  const bytes = glmMojoBytes(mojo);
  const path = join(mkdtempSync(join(tmpdir(), 'serve-bounds-')), 'glm.zip');
  writeFileSync(path, bytes);
  const model = loadMojo(bytes, 'glm.zip');
  const loaded: LoadedVersion = {
    model: 'churn',
    version: 3,
    artifactPath: path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    featureSet: null,
    mojo: model,
    encoder: rowEncoder(model),
    goldenRows: 0,
    loadedAt: new Date(),
  };
  const asked: string[] = [];
  const store: ServedModels = {
    productionOf: async (m) => (asked.push(m), m === 'churn' ? loaded : undefined),
    versionOf: async (m, v) => (asked.push(`${m}@${v}`), m === 'churn' && v === 3 ? loaded : undefined),
    readiness: () => ({ ready: true, registry: 'ok', models: {} }),
  };
  const config: ServeConfig = { ...loadConfig({}).serve, maxEventLoopDelayMs: 0, ...overrides };
  const app = await buildServer({
    config,
    store,
    pool: scoring,
    metrics: createMetrics(),
    entities: { latestOf: async (_fs, ids) => ids.map(() => null) },
  });
  apps.push(app);
  return { app, asked } satisfies Served;
}

async function predict(s: Served, body: unknown, url = '/v1/models/churn/predict', headers = {}) {
  const res = await s.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', host: '127.0.0.1:8080', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

/** The number pattern rows.ts used before it was made linear: the oracle for what Java's parser accepts. */
const PREVIOUS_DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/;
const PREVIOUS_SPECIAL = /^[+-]?(NaN|Infinity)$/;
function previousParse(s: string): number | undefined {
  const t = s.trim();
  if (PREVIOUS_DECIMAL.test(t)) return Number(t.replace(/[dDfF]$/, ''));
  if (PREVIOUS_SPECIAL.test(t)) return Number(t);
  return undefined;
}

describe('numbers in strings', () => {
  it('parseJavaDouble accepts and refuses what the previous pattern did', () => {
    const battery = [
      ...['0', '1', '-1', '+1', '1.', '.5', '-.5', '+.5e3', '1.5', '1e3', '1E-3', '1.5e+10', '12.e3', '1d', '1.5F'],
      ...['1e', '1e+', 'e3', '.', '-', '+', '', ' ', '1..2', '1.2.3', '1e3.5', '--1', '+-1', '1x', 'x1', '1 2'],
      ...['NaN', '-NaN', '+Infinity', '-Infinity', 'Infinity', 'nan', 'inf', 'infinity', 'NaNd', '0x10', '0b1', '0o7'],
      ...[' 2 ', '\t3\n', '1_000', '1,5', '٣', '1e400', '-0', '00012', '0.0000001', '1ee3', '1e3d', '1e3dd', '.e1'],
      ...['9'.repeat(400), `${'1'.repeat(50)}.${'2'.repeat(50)}e-5`, '1'.repeat(30) + 'x', '.'.repeat(3) + '1'],
    ];
    for (const s of battery) expect([s, parseJavaDouble(s)]).toEqual([s, previousParse(s)]);
  });

  it('a value of 200,000 digits ending in x is not a number', () => {
    expect(parseJavaDouble(`${'7'.repeat(200_000)}x`)).toBeUndefined();
  });

  it('a feature value of 200,000 digits is refused by the route (400 naming it), before it is parsed as a number', async () => {
    const s = await serve();
    const long = `${'7'.repeat(200_000)}x`;
    const r = await predict(s, { rows: [{ plan: 'pro', x: long }] });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ field: 'rows[0].x', value: `${long.slice(0, 64)}...` });
    expect(String(r.body.error)).toContain('200001 characters');
  });
});

describe('the size of a body, bounded before it is parsed', () => {
  it('a body of one million empty rows is 413 naming rows and the count, and JSON.parse never sees it', async () => {
    const s = await serve();
    const body = `{"rows":[${Array(1_000_000).fill('{}').join(',')}]}`;
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const r = await s.app.inject({
        method: 'POST',
        url: '/v1/models/churn/predict',
        headers: { 'content-type': 'application/json', host: 'localhost' },
        payload: body,
      });
      expect(parse.mock.calls.filter(([text]) => text === body)).toEqual([]);
      expect(r.statusCode).toBe(413);
      expect(r.json()).toMatchObject({ field: 'rows', value: 1_000_000 });
    } finally {
      parse.mockRestore();
    }
    expect(s.asked).toEqual([]);
  });

  it('too many entities, too many features in a row, a nested value', async () => {
    const s = await serve(undefined, { maxRows: 5, maxFeatures: 3 });
    expect(await predict(s, { entities: ['a', 'b', 'c', 'd', 'e', 'f'] })).toMatchObject({
      status: 413,
      body: { field: 'entities', value: 6 },
    });
    expect(await predict(s, { rows: [{ plan: 'pro' }, { plan: 'pro', x: 1, a: 1, b: 2 }] })).toMatchObject({
      status: 413,
      body: { field: 'rows[1]', value: 4 },
    });
    expect(await predict(s, { rows: [{ plan: 'pro', x: [[1]] }] })).toMatchObject({
      status: 400,
      body: { field: 'rows[0]', value: null },
    });
    const longName = 'k'.repeat(2000);
    const named = await predict(s, { rows: [{ plan: 'pro', [longName]: 1 }] });
    expect(named).toMatchObject({ status: 400, body: { field: `rows[0].${'k'.repeat(64)}...` } });
    expect(String(named.body.error)).toContain('2000 characters');
    // at the bounds: scored
    expect((await predict(s, { rows: Array(5).fill({ plan: 'pro', x: 1, y: 2 }) })).status).toBe(200);
  });

  it('the scan counts only structure: braces and commas inside strings are text', () => {
    const limits = { maxRows: 2, maxFeatures: 2, maxValueLength: 100 };
    expect(scanBounds('{"rows":[{"a":"{,,,}[,]","b":"\\",\\""},{"a":1}]}', limits)).toBeUndefined();
    expect(scanBounds('{"rows":[{},{},{}]}', limits)).toMatchObject({ status: 413, field: 'rows', value: 3 });
    expect(scanBounds('{"rows":[{"a":1,"b":2,"c":3}]}', limits)).toMatchObject({ field: 'rows[0]', value: 3 });
  });

  it('a body over SERVE_BODY_LIMIT_BYTES is 413 naming the limit', async () => {
    const s = await serve(undefined, { bodyLimitBytes: 2048 });
    const payload = JSON.stringify({ rows: [{ plan: 'pro', x: 1, pad: 'p'.repeat(3000) }] });
    const r = await predict(s, payload);
    expect(r).toMatchObject({ status: 413, body: { field: 'body', value: payload.length } });
    expect(r.body.error).toBe('the body is larger than 2048 bytes (SERVE_BODY_LIMIT_BYTES)');
  });
});

describe('names and versions, checked before the registry is asked', () => {
  it.each([
    ["it'; DROP TABLE x; --", "it'%3B%20DROP%20TABLE%20x%3B%20--"],
    ['9lives', '9lives'],
    ['a.b', 'a.b'],
  ])('model %j is 400 naming model', async (name, inUrl) => {
    const s = await serve();
    const r = await predict(s, { rows: [{ plan: 'pro', x: 1 }] }, `/v1/models/${inUrl}/predict`);
    expect(r).toMatchObject({ status: 400, body: { field: 'model', value: name } });
    expect(String(r.body.error)).toContain('a letter, then letters, digits, _ or -');
    expect(s.asked).toEqual([]);
  });

  it.each(['1e3', '0x10', '010', '0', '-1', '1.0', '3000000000'])('version %j is 404 naming version', async (v) => {
    const s = await serve();
    const r = await predict(s, { rows: [{ plan: 'pro', x: 1 }] }, `/v1/models/churn/versions/${v}/predict`);
    expect(r).toMatchObject({ status: 404, body: { field: 'version', value: v } });
    expect(s.asked).toEqual([]);
  });

  it('a version in digits is asked for', async () => {
    const s = await serve();
    const r = await predict(s, { rows: [{ plan: 'pro', x: 1 }] }, '/v1/models/churn/versions/3/predict');
    expect(r).toMatchObject({ status: 200, body: { model: 'churn', version: 3 } });
    expect(s.asked).toEqual(['churn@3']);
  });
});

describe('missing and non-finite numbers', () => {
  it('a GLM without mean imputation refuses a missing number, naming the feature (was 200, label "0")', async () => {
    const s = await serve({ meanImputation: false });
    for (const row of [{ plan: 'pro' }, { plan: 'pro', x: null }]) {
      const r = await predict(s, { rows: [{ plan: 'basic', x: 1 }, row] });
      expect(r).toMatchObject({ status: 400, body: { field: 'rows[1].x', value: null } });
      expect(String(r.body.error)).toContain('without mean imputation');
    }
  });

  it.each(['"NaN"', '"Infinity"', '"-Infinity"', '1e999'])('%s is refused for every model by default', async (x) => {
    for (const meanImputation of [false, true]) {
      const s = await serve({ meanImputation });
      const r = await predict(s, `{"rows":[{"plan":"pro","x":${x}}]}`);
      expect(r).toMatchObject({ status: 400, body: { field: 'rows[0].x' } });
      expect(String(r.body.error)).toContain('SERVE_ALLOW_NON_FINITE');
    }
  });

  it('on the worker-thread pool too', async () => {
    const s = await serve({ meanImputation: true }, { poolMinRows: 2 });
    const r = await predict(s, {
      rows: [
        { plan: 'pro', x: 1 },
        { plan: 'pro', x: 'Infinity' },
      ],
    });
    expect(r).toMatchObject({ status: 400, body: { field: 'rows[1].x', value: 'Infinity' } });
  });

  it('SERVE_ALLOW_NON_FINITE: NaN is missing (imputed), Infinity is scored; a NaN score is refused, not labelled', async () => {
    const allow = { allowNonFinite: true };
    const imputing = await serve({ meanImputation: true }, allow);
    const nan = await predict(imputing, { rows: [{ plan: 'pro', x: 'NaN' }] });
    const mean = await predict(imputing, { rows: [{ plan: 'pro', x: 0.5 }] });
    expect(nan).toMatchObject({ status: 200, body: { missing: 1 } });
    expect((nan.body.predictions as unknown[])[0]).toEqual((mean.body.predictions as unknown[])[0]);
    const inf = await predict(imputing, { rows: [{ plan: 'pro', x: 'Infinity' }] });
    expect(inf).toMatchObject({
      status: 200,
      body: { predictions: [{ label: 'yes', probabilities: { no: 0, yes: 1 } }] },
    });
    // still not imputable: refused
    const plain = await serve({ meanImputation: false }, allow);
    expect(await predict(plain, { rows: [{ plan: 'pro', x: 'NaN' }] })).toMatchObject({
      status: 400,
      body: { field: 'rows[0].x' },
    });
    // 0 × Infinity: the score is NaN
    const zero = await serve({ meanImputation: true, xBeta: 0 }, allow);
    const r = await predict(zero, {
      rows: [
        { plan: 'pro', x: 1 },
        { plan: 'pro', x: '-Infinity' },
      ],
    });
    expect(r).toMatchObject({ status: 400, body: { field: 'rows[1]', value: null } });
    expect(String(r.body.error)).toContain('NaN');
  });

  it('checkScored refuses a NaN anywhere in a score (a tree model would label it class 0)', () => {
    expect(() => checkScored(Float64Array.from([0, Number.NaN, Number.NaN]), 'rows[2]')).toThrow(/rows\[2\]=null/);
    expect(() => checkScored(Float64Array.from([Number.NaN]), 'rows[0]')).toThrow(/NaN/);
    expect(() => checkScored(Float64Array.from([1, 0.25, 0.75]), 'rows[0]')).not.toThrow();
  });
});

describe('feature names are own properties', () => {
  it('a missing feature named constructor is missing, not Object.prototype.constructor', async () => {
    const s = await serve({ meanImputation: true, numeric: 'constructor' });
    const r = await predict(s, { rows: [{ plan: 'pro' }] });
    const mean = await predict(s, { rows: [{ plan: 'pro', constructor: 0.5 }] });
    expect(r).toMatchObject({ status: 200, body: { missing: 1 } });
    expect(r.body.predictions).toEqual(mean.body.predictions);
  });
});

describe('answers', () => {
  it('a row: its label and class probabilities, the version, the counts', async () => {
    const s = await serve({ meanImputation: true });
    const r = await predict(s, { rows: [{ plan: 'pro', x: 0.3 }, { plan: 'basic' }] });
    const p = 1 / (1 + Math.exp(-(0.5 + 0.3 - 0.25)));
    const q = 1 / (1 + Math.exp(-(0.5 - 0.25)));
    expect(r).toEqual({
      status: 200,
      body: {
        model: 'churn',
        version: 3,
        predictions: [
          { version: 3, label: 'yes', probabilities: { no: 1 - p, yes: p } },
          { version: 3, label: 'yes', probabilities: { no: 1 - q, yes: q } },
        ],
        missing: 1,
        unseen: 0,
      },
    });
  });
});

describe('Host, on a loopback address', () => {
  it.each(['localhost', 'localhost:8080', '127.0.0.1:8080', '127.0.0.2', '[::1]:8080', 'LOCALHOST'])(
    'Host %j passes',
    async (host) => {
      const s = await serve({ meanImputation: true }, { host: '127.0.0.1' });
      expect((await predict(s, { rows: [{ plan: 'pro' }] }, undefined, { host })).status).toBe(200);
    },
  );

  it.each(['evil.example', 'evil.example:8080', 'localhost.evil.example', '127.0.0.1.evil.example', '[::2]'])(
    'Host %j is 421 naming host, on every route',
    async (host) => {
      const s = await serve({ meanImputation: true }, { host: '127.0.0.1' });
      expect(await predict(s, { rows: [{ plan: 'pro' }] }, undefined, { host })).toMatchObject({
        status: 421,
        body: { field: 'host', value: host },
      });
      const metrics = await s.app.inject({ url: '/metrics', headers: { host } });
      expect(metrics.statusCode).toBe(421);
    },
  );

  it('SERVE_ALLOWED_HOSTS adds names; on 0.0.0.0 there is no check (nginx sends the client Host)', async () => {
    const s = await serve({ meanImputation: true }, { host: '127.0.0.1', allowedHosts: ['dev.internal'] });
    expect((await predict(s, { rows: [{ plan: 'pro' }] }, undefined, { host: 'dev.internal:8080' })).status).toBe(200);
    const open = await serve({ meanImputation: true }, { host: '0.0.0.0' });
    expect((await predict(open, { rows: [{ plan: 'pro' }] }, undefined, { host: 'mlops.example.com' })).status).toBe(
      200,
    );
  });
});

describe('a body that trickles in', () => {
  it('one byte a second: 408 and the connection closed after SERVE_REQUEST_TIMEOUT_MS', async () => {
    const { app } = await serve(undefined, { requestTimeoutMs: 1000 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    socket.write(
      'POST /v1/models/churn/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    );
    const drip = setInterval(() => socket.write(' '), 1000);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    } finally {
      clearInterval(drip);
    }
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);
});
