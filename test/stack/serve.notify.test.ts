/**
 * Any database login can NOTIFY the registry's channel: the inference service (its store and watch on
 * the real PostgreSQL) ignores and counts what is not the registry's `{"model", "version"}` notice,
 * and goes on serving. Before, `NOTIFY mlops_production, 'not json'` threw inside pg's notification
 * handler and ended the process: every replica at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { PRODUCTION_CHANNEL } from '../../src/registry';
import { testPool } from '../helpers/postgres';
import { startService, type TestService } from '../helpers/serve';

const pool = testPool();
let service: TestService;

async function malformedCount(problem: string): Promise<number> {
  const metric = await service.metrics.malformedNotices.get();
  return metric.values.find((v) => v.labels.problem === problem)?.value ?? 0;
}

async function notify(payload: string): Promise<void> {
  await pool.query('SELECT pg_notify($1, $2)', [PRODUCTION_CHANNEL, payload]);
}

/** Resolves once `check` holds, polling (a NOTIFY is delivered asynchronously). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

beforeAll(async () => {
  service = await startService({ declared: [] });
  // the listener connects in the background: NOTIFY until the first one is counted
  await eventually(async () => {
    await notify('not json');
    return (await malformedCount('not-json')) > 0;
  }, 'the listener counted a malformed notification');
  // notices arrive in order: once this marker is counted, no 'not json' of the loop above is still on its way
  const invalid = await malformedCount('invalid');
  await notify('{}');
  await eventually(async () => (await malformedCount('invalid')) === invalid + 1, 'the marker counted');
});

afterAll(async () => {
  await service?.close();
  await pool.end();
});

describe('malformed registry notifications', () => {
  it('counts each one by its problem and keeps serving', async () => {
    const notJson = await malformedCount('not-json');
    const invalid = await malformedCount('invalid');
    const notJsonPayloads = ['not json', '{"model":', '', '\u0001\u0002'];
    const invalidPayloads = [
      'null',
      '42',
      '"churn"',
      '[]',
      '{}',
      '{"model": 7, "version": 1}',
      '{"model": "churn"}',
      '{"model": "churn", "version": "1"}',
      '{"model": "churn", "version": -1}',
      '{"model": "../../etc", "version": 1}',
      JSON.stringify({ model: 'x'.repeat(5000), version: 1 }),
    ];
    for (const payload of [...notJsonPayloads, ...invalidPayloads]) await notify(payload);
    await eventually(
      async () =>
        (await malformedCount('not-json')) === notJson + notJsonPayloads.length &&
        (await malformedCount('invalid')) === invalid + invalidPayloads.length,
      'every malformed payload counted',
    );

    const health = await request(`${service.url}/healthz`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ status: 'alive' });
    const metrics = await request(`${service.url}/metrics`);
    expect(metrics.statusCode).toBe(200);
    const text = await metrics.body.text();
    expect(text).toContain(
      `mlops_serve_malformed_notifications_total{problem="invalid"} ${invalid + invalidPayloads.length}`,
    );
  });

  it('still acts on a well-formed notice after malformed ones', async () => {
    const before = await malformedCount('invalid');
    await notify(JSON.stringify({ model: 'notify_probe_unknown', version: 1 }));
    await notify('{}');
    // notices are delivered in order: once the `{}` after it is counted, the good one was handled without a count
    await eventually(async () => (await malformedCount('invalid')) === before + 1, 'the trailing {} counted');
    expect((await request(`${service.url}/healthz`)).statusCode).toBe(200);
  });
});
