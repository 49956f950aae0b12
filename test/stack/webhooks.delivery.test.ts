/**
 * Webhook delivery on the real stack: registry changes recorded in the outbox, delivered by
 * deliverWebhook runs on a real worker to a real HTTP receiver that verifies every signature. A
 * receiver that fails three times then answers ends delivered with four attempts; one that never
 * answers ends failed with all of its attempts; a 4xx fails after one; Retry-After is honoured; a
 * redelivery from the CLI continues the attempts with a new signed timestamp; a worker SIGKILLed
 * mid-request still completes the delivery once; a retried activity emits one event; the secret is
 * in no history and no table. A worker without WEBHOOK_ALLOW_HTTP refuses an http: receiver, and a
 * secret under 32 bytes is refused, both at once and without a request.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriftActivities } from '../../src/activities/drift';
import { createRegistryActivities } from '../../src/activities/registry';
import { createWebhookActivities } from '../../src/activities/webhooks';
import { loadConfig, projectRoot, type Config } from '../../src/config';
import { createPool } from '../../src/postgres';
import { createRedis } from '../../src/redis';
import { registerVersion } from '../../src/registry';
import { deliveryWorkflowId } from '../../src/shared/ids';
import { WEBHOOK_EVENTS } from '../../src/shared/webhooks';
import { listAttempts, listDeliveries } from '../../src/webhooks/deliveries';
import { emitWebhookEvents } from '../../src/webhooks/emit';
import { retrainModel } from '../../src/workflows/retrain-model';
import { sweepWebhooks } from '../../src/workflows/sweep-webhooks';
import { fakeCandidate } from './drift.dataset';
import { useStackSuite } from '../helpers/suite';
import { killWorkerProcess, spawnWorkerProcess, startTestWorker, uniqueName } from '../helpers/temporal';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const secretEnv = `WEBHOOK_SECRET_TEST_${randomBytes(3).toString('hex').toUpperCase()}`;
// the Standard Webhooks format: whsec_ and the base64 of a 32-byte key
const secret = `whsec_${randomBytes(32).toString('base64')}`;
process.env[secretEnv] = secret;
// one byte short of the 32 a signing key needs
const weakEnv = `WEBHOOK_SECRET_WEAK_${randomBytes(3).toString('hex').toUpperCase()}`;
process.env[weakEnv] = randomBytes(31)
  .toString('latin1')
  .replace(/[^\x21-\x7e]/g, 'k');

const scenarios = [
  'flaky',
  'hang',
  'gone',
  'busy',
  'crash',
  'retried',
  'failing',
  'swept',
  'cleartext',
  'weak',
  'nul',
] as const;
type Scenario = (typeof scenarios)[number];
const modelOf = Object.fromEntries(scenarios.map((s) => [s, uniqueName(`wh_${s}`).replace(/-/g, '_')])) as Record<
  Scenario,
  string
>;

let receiver: WebhookReceiver;
let modelsFile = '';
const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  MODELS_CONFIG: modelsFile,
  WEBHOOK_MAX_ATTEMPTS: '5',
  WEBHOOK_BACKOFF_INITIAL_MS: '100',
  WEBHOOK_BACKOFF_MAX_MS: '400',
  WEBHOOK_TIMEOUT_MS: '1500',
  ...extra,
});

// the receiver must exist before the worker reads the models file: both are made in this hook, which runs first
beforeAll(async () => {
  receiver = await startWebhookReceiver(secret);
  const dir = mkdtempSync(join(tmpdir(), 'webhooks-'));
  modelsFile = join(dir, 'models.json');
  const webhooks = Object.fromEntries(
    scenarios.map((s) => [
      s,
      {
        url: receiver.url(`/${s}`),
        events: [...WEBHOOK_EVENTS],
        models: [modelOf[s]],
        secretEnv: s === 'weak' ? weakEnv : secretEnv,
      },
    ]),
  );
  writeFileSync(modelsFile, JSON.stringify({ models: {}, webhooks }));
});

const suite = useStackSuite({ workerConfig: () => loadConfig(env()) });
let config: Config;

afterAll(async () => {
  await receiver?.close();
  const models = Object.values(modelOf);
  const pool = suite.pool;
  await pool.query(
    `DELETE FROM webhooks.attempts WHERE delivery_id IN (SELECT d.id FROM webhooks.deliveries d JOIN webhooks.events e ON e.id = d.event_id WHERE e.model_name = ANY($1))`,
    [models],
  );
  await pool.query(
    `DELETE FROM webhooks.deliveries WHERE event_id IN (SELECT id FROM webhooks.events WHERE model_name = ANY($1))`,
    [models],
  );
  await pool.query('DELETE FROM webhooks.events WHERE model_name = ANY($1)', [models]);
  await pool.query('DELETE FROM monitoring.drift_reports WHERE model_name = ANY($1)', [models]);
  await pool.query('DELETE FROM registry.stage_events WHERE model_name = ANY($1)', [models]);
  await pool.query('DELETE FROM registry.model_versions WHERE model_name = ANY($1)', [models]);
  await pool.query('DELETE FROM registry.models WHERE name = ANY($1)', [models]);
});

/** A registry change (a version registered), committed with its event; returns the event id. */
async function registerAVersion(model: string): Promise<string> {
  const client = await suite.pool.connect();
  try {
    await registerVersion(client, {
      candidate: fakeCandidate(model),
      workflowId: `wf-${model}`,
      runId: randomBytes(8).toString('hex'),
    });
  } finally {
    client.release();
  }
  const { rows } = await suite.pool.query<{ id: string }>(
    `SELECT id FROM webhooks.events WHERE model_name = $1 ORDER BY seq DESC LIMIT 1`,
    [model],
  );
  return rows[0]!.id;
}

async function dispatch(cfg: Config, taskQueue: string) {
  return emitWebhookEvents(
    { config: cfg, pool: suite.pool, client: suite.client, taskQueue, warn: () => {} },
    { strict: true },
  );
}

/** The delivery of an event to a subscription (its id is derived from both: src/webhooks/deliveries.ts). */
async function deliveryIdOf(subscription: string, eventId: string): Promise<string> {
  const { rows } = await suite.pool.query<{ id: string }>(
    'SELECT id FROM webhooks.deliveries WHERE subscription = $1 AND event_id = $2',
    [subscription, eventId],
  );
  if (rows.length !== 1) throw new Error(`${rows.length} deliveries of ${eventId} to ${subscription}`);
  return rows[0]!.id;
}

/** How the delivery's run ended. */
async function ended(deliveryId: string): Promise<'delivered' | 'failed'> {
  try {
    await suite.client.workflow.getHandle(deliveryWorkflowId(deliveryId)).result();
    return 'delivered';
  } catch {
    return 'failed';
  }
}

async function delivery(id: string) {
  const [d] = await listDeliveries(suite.pool, { ids: [id] });
  return { ...d!, attemptRows: await listAttempts(suite.pool, id) };
}

function cli(args: string[], extra: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'index.ts'), ...args], {
    cwd: projectRoot,
    env: env(extra),
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('webhook deliveries', () => {
  beforeAll(() => {
    config = loadConfig(env());
  });

  it('a receiver that fails three times (503) then answers 200: delivered, four attempts recorded, every signature verified', async () => {
    receiver.script('/flaky', [
      { status: 503, body: 'down for maintenance' },
      { status: 503 },
      { status: 503 },
      { status: 200, body: 'ok, took it' },
    ]);
    const eventId = await registerAVersion(modelOf.flaky);
    await dispatch(config, suite.worker.taskQueue);
    const id = await deliveryIdOf('flaky', eventId);
    expect(await ended(id)).toBe('delivered');

    const d = await delivery(id);
    expect(d.status).toBe('delivered');
    expect(d.type).toBe('version.registered');
    expect(d.attemptRows.map((a) => [a.attempt, a.status, a.responseCode])).toEqual([
      [1, 'retry', 503],
      [2, 'retry', 503],
      [3, 'retry', 503],
      [4, 'delivered', 200],
    ]);
    expect(d.attemptRows[0]!.responseHead).toBe('down for maintenance');
    expect(d.attemptRows[3]!.responseHead).toBe('ok, took it');
    expect(d.attemptRows.every((a) => a.latencyMs !== null && a.latencyMs >= 0)).toBe(true);

    const requests = receiver.requests('/flaky');
    expect(requests).toHaveLength(4);
    expect(requests.every((r) => r.verified && r.id === id && r.event === 'version.registered')).toBe(true);
    // the same body every time; the signed timestamp is each attempt's own
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({
      id: eventId,
      type: 'version.registered',
      model: modelOf.flaky,
      data: { model: modelOf.flaky, version: 1, toStage: 'staging' },
    });
    expect(receiver.accepted().get(id)).toBe(1);
  });

  it('a receiver that never answers: failed after WEBHOOK_MAX_ATTEMPTS timed-out attempts, each recorded', async () => {
    receiver.script(
      '/hang',
      Array.from({ length: 10 }, () => 'hang' as const),
    );
    const eventId = await registerAVersion(modelOf.hang);
    await dispatch(config, suite.worker.taskQueue);
    const id = await deliveryIdOf('hang', eventId);
    expect(await ended(id)).toBe('failed');

    const d = await delivery(id);
    expect(d.status).toBe('failed');
    expect(d.attemptRows).toHaveLength(5);
    expect(
      d.attemptRows.every(
        (a) => a.status === 'retry' && a.responseCode === null && /no answer within 1500 ms/.test(a.error ?? ''),
      ),
    ).toBe(true);
    expect(d.error).toMatch(/attempt 5: no answer within 1500 ms/);
    expect(receiver.requests('/hang')).toHaveLength(5);
    expect(receiver.accepted().has(id)).toBe(false);
  });

  it('a 4xx fails after one attempt; `webhooks deliveries --failed` lists it; `webhooks redeliver` delivers it as attempt 2 with a new timestamp', async () => {
    receiver.script('/gone', [{ status: 410, body: 'no such hook' }]);
    const eventId = await registerAVersion(modelOf.gone);
    await dispatch(config, suite.worker.taskQueue);
    const id = await deliveryIdOf('gone', eventId);
    expect(await ended(id)).toBe('failed');
    let d = await delivery(id);
    expect(d.status).toBe('failed');
    expect(d.attemptRows.map((a) => [a.attempt, a.status, a.responseCode, a.responseHead])).toEqual([
      [1, 'rejected', 410, 'no such hook'],
    ]);
    expect(d.error).toContain('HTTP 410: no such hook');

    const failed = cli(['webhooks', 'deliveries', '--failed', '--json', '--limit', '10000']);
    expect(failed.code, failed.stderr).toBe(0);
    const listed = JSON.parse(failed.stdout) as Array<{ id: string; status: string; attempts: number }>;
    expect(listed.find((l) => l.id === id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(listed.every((l) => l.status === 'failed')).toBe(true);

    // the receiver is fixed: redeliver, on this suite's worker
    const again = cli(['webhooks', 'redeliver', id], { TEMPORAL_TASK_QUEUE: suite.worker.taskQueue });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`redelivering ${id}`);
    expect(await ended(id)).toBe('delivered');
    d = await delivery(id);
    expect(d.status).toBe('delivered');
    expect(d.attemptRows.map((a) => [a.attempt, a.status, a.responseCode])).toEqual([
      [1, 'rejected', 410],
      [2, 'delivered', 200],
    ]);
    const [first, second] = receiver.requests('/gone');
    expect(second!.id).toBe(first!.id);
    expect(second!.body).toBe(first!.body);
    expect(second!.timestamp).toBeGreaterThan(first!.timestamp);
    expect(second!.verified).toBe(true);

    const table = cli(['webhooks', 'attempts', id]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/1 {2}rejected +410/);
    expect(table.stdout).toMatch(/2 {2}delivered +200/);
  });

  it('a receiver whose answer holds a NUL: the attempt is recorded without it (readHead drops it), and the delivery ends', async () => {
    receiver.script('/nul', [{ status: 410, body: 'gone\u0000away' }]);
    const eventId = await registerAVersion(modelOf.nul);
    await dispatch(config, suite.worker.taskQueue);
    const id = await deliveryIdOf('nul', eventId);
    expect(await ended(id)).toBe('failed');
    const d = await delivery(id);
    expect(d.attemptRows.map((a) => [a.attempt, a.status, a.responseCode, a.responseHead])).toEqual([
      [1, 'rejected', 410, 'goneaway'],
    ]);
    expect(d.error).toContain('HTTP 410: goneaway');
  });

  it("honours a 429's Retry-After over the backoff", async () => {
    receiver.script('/busy', [{ status: 429, retryAfter: '2', body: 'slow down' }, { status: 200 }]);
    const eventId = await registerAVersion(modelOf.busy);
    await dispatch(config, suite.worker.taskQueue);
    const id = await deliveryIdOf('busy', eventId);
    expect(await ended(id)).toBe('delivered');
    const [a, b] = receiver.requests('/busy');
    // the backoff alone would retry after 100 ms
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(2000);
    expect((await delivery(id)).attemptRows.map((x) => x.status)).toEqual(['retry', 'delivered']);
  });

  it('a worker SIGKILLed while the receiver holds the request: the delivery completes, delivered once, accepted once', async () => {
    const taskQueue = uniqueName('tq-wh-crash');
    // a long request timeout: the attempt is still in flight when the worker dies; Temporal retries it after timeout + 15 s
    const crashEnv = { WEBHOOK_TIMEOUT_MS: '5000' };
    const children: ChildProcess[] = [];
    try {
      children.push(await spawnWorkerProcess(taskQueue, env(crashEnv)));
      receiver.script('/crash', ['hold', { status: 200 }]);
      const eventId = await registerAVersion(modelOf.crash);
      await dispatch(loadConfig(env(crashEnv)), taskQueue);
      const id = await deliveryIdOf('crash', eventId);
      await receiver.waitFor('/crash', 1);
      await killWorkerProcess(children[0]!);
      children.push(await spawnWorkerProcess(taskQueue, env(crashEnv)));
      expect(await ended(id)).toBe('delivered');

      const d = await delivery(id);
      expect(d.status).toBe('delivered');
      expect(d.attemptRows.map((a) => a.status)).toEqual(['lost', 'delivered']);
      const requests = receiver.requests('/crash');
      expect(requests.map((r) => [r.id, r.answered])).toEqual([
        [id, null],
        [id, 200],
      ]);
      expect(receiver.accepted().get(id)).toBe(1);
      const { rows } = await suite.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM webhooks.deliveries WHERE event_id = $1`,
        [eventId],
      );
      expect(rows[0]!.n).toBe(1);
    } finally {
      for (const child of children) await killWorkerProcess(child);
    }
  });

  it('registry, drift and retrain activities retried after their commit emit one event each, delivered once', async () => {
    const model = modelOf.retried;
    const pool = createPool(config.postgres, 'mlops-test-webhooks');
    const redis = createRedis(config.redis);
    try {
      const deps = { config, pool, redis };
      const registry = createRegistryActivities(deps);
      const drift = createDriftActivities(deps);
      const webhooks = createWebhookActivities(deps);
      const activity = new MockActivityEnvironment({ taskQueue: suite.worker.taskQueue }, { client: suite.client });
      const input = {
        candidate: fakeCandidate(model),
        workflowId: `retrain-${model}`,
        runId: randomBytes(8).toString('hex'),
      };
      const retrainRunId = randomBytes(8).toString('hex');
      // a retry is the same activity called again with the same input
      const first = await activity.run(registry.registerModelVersion, input);
      const second = await activity.run(registry.registerModelVersion, input);
      expect([first, second]).toEqual([
        { version: 1, created: true },
        { version: 1, created: false },
      ]);
      for (let i = 0; i < 2; i++)
        await activity.run(registry.promoteModelVersion, {
          model,
          version: 1,
          reason: 'test',
          workflowId: `retrain-${model}`,
        });
      const report = {
        model,
        version: 1,
        referenceWindow: null,
        currentWindow: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-02T00:00:00.000Z' },
        evaluation: {
          verdict: 'drift' as const,
          maxPsi: 0.61,
          referenceRows: 1000,
          currentRows: 900,
          features: {
            tenure: {
              kind: 'numeric' as const,
              psi: 0.61,
              verdict: 'drift' as const,
              bins: ['a', 'b'],
              expected: [0.5, 0.5],
              actual: [0.9, 0.1],
              warnThreshold: 0.1,
              driftThreshold: 0.25,
            },
          },
        },
        sensorWorkflowId: `drift-sensor-${model}`,
        sensorRunId: 'sensor-run-1',
      };
      const r1 = (await activity.run(drift.writeDriftReport, report)) as { reportId: number };
      const r2 = await activity.run(drift.writeDriftReport, report);
      expect(r2).toEqual(r1);
      for (let i = 0; i < 2; i++)
        await activity.run(webhooks.recordRetrainFailure, {
          model,
          workflowId: `retrain-${model}`,
          runId: retrainRunId,
          error: 'TrainingFailedError: no spec succeeded',
        });

      const { rows: events } = await suite.pool.query<{ id: string; type: string }>(
        'SELECT id, type FROM webhooks.events WHERE model_name = $1 ORDER BY seq',
        [model],
      );
      expect(events.map((e) => e.type)).toEqual([
        'version.registered',
        'version.promoted',
        'drift.detected',
        'retrain.failed',
      ]);
      expect(events[2]!.id).toBe(`drift_report:${r1.reportId}`);
      expect(events[3]!.id).toBe(`retrain_failed:${retrainRunId}`);
      const { rows: stageEvents } = await suite.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM registry.stage_events WHERE model_name = $1',
        [model],
      );
      expect(stageEvents[0]!.n).toBe(2);

      const ids = await Promise.all(events.map((e) => deliveryIdOf('retried', e.id)));
      expect(await Promise.all(ids.map(ended))).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
      const requests = receiver.requests('/retried');
      expect(requests.map((r) => r.event).sort()).toEqual([
        'drift.detected',
        'retrain.failed',
        'version.promoted',
        'version.registered',
      ]);
      expect(requests.every((r) => r.verified)).toBe(true);
      for (const id of ids) expect(receiver.accepted().get(id)).toBe(1);
      expect(JSON.parse(requests.find((r) => r.event === 'drift.detected')!.body).data).toMatchObject({
        reportId: r1.reportId,
        maxPsi: 0.61,
        driftedFeatures: ['tenure'],
      });
    } finally {
      await pool.end();
      redis.disconnect();
    }
  });

  it('an event whose deliveries were never started (a crash between the commit and the start) is delivered by the sweep', async () => {
    const eventId = await registerAVersion(modelOf.swept);
    const { rows } = await suite.pool.query<{ dispatched_at: Date | null }>(
      'SELECT dispatched_at FROM webhooks.events WHERE id = $1',
      [eventId],
    );
    expect(rows[0]!.dispatched_at).toBeNull();
    await suite.client.workflow.execute(sweepWebhooks, {
      taskQueue: suite.worker.taskQueue,
      workflowId: uniqueName('webhooks-sweep-test'),
      args: [],
    });
    const id = await deliveryIdOf('swept', eventId);
    expect(await ended(id)).toBe('delivered');
    // a second sweep finds nothing to start: the event is dispatched, and the delivery's workflow id is taken
    await suite.client.workflow.execute(sweepWebhooks, {
      taskQueue: suite.worker.taskQueue,
      workflowId: uniqueName('webhooks-sweep-test'),
      args: [],
    });
    expect(receiver.requests('/swept').map((r) => r.id)).toEqual([id]);
    expect((await delivery(id)).attemptRows).toHaveLength(1);
  });

  it('a retrainModel run that fails announces retrain.failed, keyed by its run', async () => {
    const model = modelOf.failing;
    // undeclared and without input.training: the run fails on its configuration, before any training
    const handle = await suite.client.workflow.start(retrainModel, {
      taskQueue: suite.worker.taskQueue,
      workflowId: `retrain-${model}`,
      args: [{ model, reason: 'manual' }],
    });
    await expect(handle.result()).rejects.toThrow();
    const id = await deliveryIdOf('failing', `retrain_failed:${handle.firstExecutionRunId}`);
    expect(await ended(id)).toBe('delivered');
    const [request] = receiver.requests('/failing');
    expect(request!.event).toBe('retrain.failed');
    expect(request!.verified).toBe(true);
    expect(JSON.parse(request!.body).data).toMatchObject({
      model,
      workflowId: `retrain-${model}`,
      runId: handle.firstExecutionRunId,
    });
    expect(JSON.parse(request!.body).data.error).toContain('is not declared in MODELS_CONFIG');
  });

  it('a worker without WEBHOOK_ALLOW_HTTP refuses an http: receiver at once, not retrying, with no request', async () => {
    // the suite's worker allows http: for its loopback receiver; this one has the default
    const strict = await startTestWorker({ config: loadConfig(env({ WEBHOOK_ALLOW_HTTP: 'false' })) });
    try {
      const eventId = await registerAVersion(modelOf.cleartext);
      await dispatch(config, strict.taskQueue);
      const id = await deliveryIdOf('cleartext', eventId);
      expect(await ended(id)).toBe('failed');
      const d = await delivery(id);
      expect(d.attemptRows.map((a) => [a.attempt, a.status, a.responseCode])).toEqual([[1, 'rejected', null]]);
      expect(d.error).toMatch(/is not https: refused.*WEBHOOK_ALLOW_HTTP=true/);
      expect(receiver.requests('/cleartext')).toHaveLength(0);
    } finally {
      await strict.stop();
    }
  });

  it('a signing secret of 31 bytes is refused naming its variable, not retrying, with no request', async () => {
    const eventId = await registerAVersion(modelOf.weak);
    await dispatch(config, suite.worker.taskQueue);
    const id = await deliveryIdOf('weak', eventId);
    expect(await ended(id)).toBe('failed');
    const d = await delivery(id);
    expect(d.attemptRows).toHaveLength(0);
    expect(d.error).toContain(
      `${weakEnv}="<not shown>" is invalid: expected a signing key of at least 32 bytes (it has 31)`,
    );
    expect(d.error).not.toContain(process.env[weakEnv]);
    expect(receiver.requests('/weak')).toHaveLength(0);
  });

  it('the secret is in no workflow history and no webhooks table', async () => {
    const { rows } = await suite.pool.query<{ id: string }>(
      `SELECT d.id FROM webhooks.deliveries d JOIN webhooks.events e ON e.id = d.event_id WHERE e.model_name = ANY($1)`,
      [Object.values(modelOf)],
    );
    expect(rows.length).toBeGreaterThanOrEqual(11);
    for (const { id } of rows) {
      // payloads are bytes: read them as the text they are, so the search sees inputs, results and failures
      const history = JSON.stringify(
        await suite.client.workflow.getHandle(deliveryWorkflowId(id)).fetchHistory(),
        (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v),
      );
      expect(history).toContain(id);
      expect(history).not.toContain(secret);
    }
    for (const table of ['events', 'deliveries', 'attempts']) {
      const { rows: dump } = await suite.pool.query<{ text: string }>(
        `SELECT coalesce(string_agg(t::text, ' '), '') AS text FROM webhooks.${table} t`,
      );
      expect(dump[0]!.text).not.toContain(secret);
    }
  });
});
