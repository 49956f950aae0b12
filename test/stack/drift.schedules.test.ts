/**
 * Sensor schedules from the declared models: applied idempotently (created, then updated in place),
 * overlap SKIP and an explicit catch-up window, visible to `temporal schedule list`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { applySchedules, connectTemporal } from '../../src/client';
import { sensorScheduleId } from '../../src/shared/ids';
import { loadModelDeclarations } from '../../src/catalog/models';
import { stackContext } from '../../src/stack/cli';
import { temporalBinary } from '../../src/stack/temporal';
import { writeModelsConfig } from './drift.dataset';
import { uniqueName } from '../helpers/temporal';

let client: Client;
let close: () => Promise<void>;
const model = uniqueName('sched').replace(/-/g, '_');

beforeAll(async () => {
  ({ client, close } = await connectTemporal());
});
afterAll(async () => {
  await client.schedule
    .getHandle(sensorScheduleId(model))
    .delete()
    .catch(() => {});
  await close();
});

describe('schedules apply', () => {
  it('creates one sensor schedule per monitored model, then updates it in place', async () => {
    const path = writeModelsConfig({ [model]: { featureSet: 'fs' } });
    const taskQueue = uniqueName('tq');
    const first = await applySchedules(client, loadModelDeclarations(path), taskQueue);
    expect(first).toEqual([{ scheduleId: sensorScheduleId(model), model, outcome: 'created' }]);

    const raw = JSON.parse(readFileSync(path, 'utf8'));
    raw.models[model].drift = { window: '6h', cron: '*/30 * * * *', catchupWindow: '5m', paused: true };
    writeFileSync(path, JSON.stringify(raw));
    const second = await applySchedules(client, loadModelDeclarations(path), taskQueue);
    expect(second[0]!.outcome).toBe('updated');

    const d = await client.schedule.getHandle(sensorScheduleId(model)).describe();
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.policies.catchupWindow).toBe(5 * 60_000);
    expect(d.state.paused).toBe(true);
    expect(d.spec.calendars?.length ?? 0).toBeGreaterThan(0); // the server turns cron into calendars
    expect(d.spec.intervals ?? []).toHaveLength(0);
    expect(d.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'driftSensor',
      taskQueue,
      args: [{ model }],
    });

    const cfg = loadConfig();
    const listed = execFileSync(
      temporalBinary(stackContext(() => {})),
      ['schedule', 'list', '--address', cfg.temporal.address, '--namespace', cfg.temporal.namespace],
      { encoding: 'utf8' },
    );
    expect(listed).toContain(sensorScheduleId(model));
  });
});
