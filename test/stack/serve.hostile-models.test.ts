/**
 * The inference service against the real registry with hostile or many versions (hand-written MOJOs,
 * no H2O): a refused production version is refused once and answered 409 without being loaded again;
 * /readyz names each problem but no filesystem path; twenty concurrent requests for a pinned version
 * load it once; the pinned cache drops the least recently used version and counts it; a MOJO the
 * scorer allocates without bound costs a load thread, not the service; a few rows of a wide model are
 * scored on the pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { loadConfig } from '../../src/config';
import { sanitizeH2OId } from '../../src/h2o/ids';
import { goldenPathOf } from '../../src/mojo/golden';
import { promoteVersion } from '../../src/registry';
const MAX_PINNED = 16;
import { testPool } from '../helpers/postgres';
import { glmMojo, goldenBomb } from '../helpers/hand-mojos';
import { startService, type TestService } from '../helpers/serve';
import { registerArtifact } from '../helpers/versions';
import { uniqueName } from '../helpers/temporal';

const prefix = sanitizeH2OId(uniqueName('hostile'));
const dir = join(loadConfig().stack.stateDir, 'test', prefix);
const refusedModel = `${prefix.replace(/-/g, '_')}_refused`;
const changedModel = `${prefix.replace(/-/g, '_')}_changed`;
const model = `${prefix.replace(/-/g, '_')}_pinned`;
const pool = testPool();
let service: TestService;

/** Writes `bytes` (and golden rows expecting `golden` for x = 1) and registers them as the next version. */
async function register(
  name: string,
  file: string,
  bytes: Buffer,
  options: { golden?: number; sha256?: string } = {},
): Promise<number> {
  const path = join(dir, file);
  writeFileSync(path, bytes);
  if (options.golden !== undefined)
    writeFileSync(
      goldenPathOf(path),
      JSON.stringify({ h2oModelId: file, rows: [{ features: { x: 1 }, expected: [options.golden] }] }),
    );
  const sha256 = options.sha256 ?? createHash('sha256').update(bytes).digest('hex');
  return registerArtifact(pool, { model: name, featureSet: `${name}_fs`, artifactPath: path, sha256 });
}

async function predict(name: string, version?: number, rows: Record<string, number>[] = [{ x: 1 }]) {
  const path = version === undefined ? 'predict' : `versions/${version}/predict`;
  const res = await request(`${service.url}/v1/models/${name}/${path}`, {
    method: 'POST',
    body: JSON.stringify({ rows }),
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

async function counted(metric: 'loads' | 'evictions', name: string): Promise<number> {
  const { values } = await service.metrics[metric].get();
  return values.find((v) => v.labels.model === name)?.value ?? 0;
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  // production versions: golden rows the MOJO does not reproduce (it scores 3 for x = 1); a file that
  // is not the one the registry recorded
  const refused = await register(refusedModel, 'refused-v1.zip', glmMojo(2, 1), { golden: 4 });
  const changed = await register(changedModel, 'changed-v1.zip', glmMojo(2, 1), { sha256: 'c'.repeat(64) });
  const c = await pool.connect();
  try {
    await promoteVersion(c, { model: refusedModel, version: refused, reason: 'test' });
    await promoteVersion(c, { model: changedModel, version: changed, reason: 'test' });
  } finally {
    c.release();
  }
  service = await startService({ declared: [refusedModel, changedModel], mojoLoad: { maxHeapMb: 64 } });
}, 120_000);

afterAll(async () => {
  await service?.close();
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
});

describe('a refused production version', () => {
  it('is loaded once and answered 409 naming the version and the problem, however often it is asked for', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => predict(refusedModel)));
    for (let i = 0; i < 10; i++) answers.push(await predict(refusedModel));
    for (const a of answers) {
      expect(a.status).toBe(409);
      expect(a.body).toMatchObject({ field: 'version', value: 1 });
      expect(a.body.error).toMatch(/version 1 cannot be served: MOJO .* v1: golden rows: row 0 predict scores 3/);
    }
    await service.store.reconcile();
    expect(await counted('loads', refusedModel)).toBe(1);
  });

  it('/readyz names each problem, not the path of the file', async () => {
    await service.store.reconcile(); // every declared model tried
    const res = await request(`${service.url}/readyz`);
    const text = await res.body.text();
    expect(res.statusCode).toBe(503);
    const { models } = JSON.parse(text) as { models: Record<string, { version: number | null; problem?: string }> };
    expect(models[refusedModel]!.problem).toMatch(/golden rows: row 0 predict scores 3/);
    expect(models[changedModel]!.problem).toMatch(
      /^MOJO .* v1: sha256: the MOJO file has sha256 [0-9a-f]{64}, the registry recorded c{64}$/,
    );
    expect(text).not.toContain(dir);
  });
});

describe('pinned versions', () => {
  const versions: number[] = [];
  beforeAll(async () => {
    // MAX_PINNED + 2 servable versions, each scoring x + its number
    for (let i = 0; i < MAX_PINNED + 2; i++) versions.push(await register(model, `v${i}.zip`, glmMojo(1, i)));
  });

  it('twenty concurrent requests for a version not loaded yet load it once', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => predict(model, versions[0])));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.every((a) => a.body.version === versions[0])).toBe(true);
    expect(await counted('loads', model)).toBe(1);
  });

  it('the cache drops the least recently used version, and counts it', async () => {
    // fill the cache: versions[0] (loaded above) .. versions[MAX_PINNED - 1]
    for (const v of versions.slice(1, MAX_PINNED)) expect((await predict(model, v)).status).toBe(200);
    expect(await counted('loads', model)).toBe(MAX_PINNED);
    expect(await counted('evictions', model)).toBe(0);
    // versions[0] is used again, so versions[1] is now the least recently used
    expect((await predict(model, versions[0])).status).toBe(200);
    expect((await predict(model, versions[MAX_PINNED])).status).toBe(200);
    expect(await counted('evictions', model)).toBe(1);
    // versions[0] stayed loaded; versions[1] was dropped and loads again
    const before = await counted('loads', model);
    expect((await predict(model, versions[0])).body.predictions).toEqual([{ version: versions[0], value: 1 }]);
    expect(await counted('loads', model)).toBe(before);
    expect((await predict(model, versions[1])).status).toBe(200);
    expect(await counted('loads', model)).toBe(before + 1);
    expect(await counted('evictions', model)).toBe(2);
  });

  it('golden rows that would parse to many times their size are refused 409, once and unparsed; the service serves on', async () => {
    const bomb = await register(model, 'bomb.zip', glmMojo(2, 1));
    writeFileSync(goldenPathOf(join(dir, 'bomb.zip')), goldenBomb());
    const before = await counted('loads', model);
    for (let i = 0; i < 3; i++) {
      const a = await predict(model, bomb);
      expect(a.status).toBe(409);
      expect(a.body).toMatchObject({ field: 'version', value: bomb });
      expect(a.body.error).toContain('golden rows: the file is');
    }
    expect(await counted('loads', model)).toBe(before + 1);
    expect((await predict(model, versions[0])).status).toBe(200);
  });

  it('a changed file is refused naming the sha256s, not the path', async () => {
    const changed = await register(model, 'changed.zip', glmMojo(1, 0), { sha256: 'b'.repeat(64) });
    const a = await predict(model, changed);
    expect(a.status).toBe(409);
    expect(a.body.error).toContain(`the registry recorded ${'b'.repeat(64)}`);
    expect(JSON.stringify(a.body)).not.toContain(dir);
  });

  it('a few rows of a wide model are scored on the pool (cells, not rows, decide)', async () => {
    const features = Array.from({ length: 2500 }, (_, i) => `f${i}`);
    const wide = await register(model, 'wide.zip', glmMojo(1, 0, features));
    const pooled = async () =>
      (await service.metrics.rows.get()).values.find((v) => v.labels.model === model && v.labels.path === 'pool')
        ?.value ?? 0;
    const before = await pooled();
    const row = (x: number) => Object.fromEntries(features.map((f, i) => [f, i === 0 ? x : 0]));
    const a = await predict(model, wide, [row(2), row(3)]);
    expect(a.status).toBe(200);
    expect(a.body.predictions).toEqual([
      { version: wide, value: 2 },
      { version: wide, value: 3 },
    ]);
    expect(await pooled()).toBe(before + 2);
  });
});
