/**
 * One Temporal Schedule per monitored model, running its drift sensor: built from the declaration
 * and applied idempotently (create, or update when it exists), so `npm run schedules:apply` can run
 * on every deploy. Overlap SKIP: a sensor still running when the next one is due makes that one skip.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleUpdateOptions } from '@temporalio/client';
import { ModelName, Trigger } from '../search-attributes';
import { parseDuration, type ModelDeclaration } from './declaration';

/** The schedule id of a model's drift sensor. */
export function sensorScheduleId(model: string): string {
  return `drift-sensor-${model}`;
}

/** The schedule of a declared model's sensor; undefined when the model declares no drift section. */
export function sensorScheduleOptions(model: ModelDeclaration, taskQueue: string): ScheduleOptions | undefined {
  const drift = model.drift;
  if (!drift) return undefined;
  const every = drift.every ? `every ${drift.every}` : `cron ${drift.cron}`;
  return {
    scheduleId: sensorScheduleId(model.name),
    spec: drift.cron ? { cronExpressions: [drift.cron] } : { intervals: [{ every: parseDuration('drift.every', drift.every) }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'driftSensor',
      // the server appends each run's scheduled time to this id
      workflowId: `drift-sensor-${model.name}`,
      taskQueue,
      args: [{ model: model.name }],
      typedSearchAttributes: [
        { key: ModelName, value: model.name },
        { key: Trigger, value: 'schedule' },
      ],
      staticSummary: `drift sensor for ${model.name}: window ${drift.window}, ${every}`,
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      // set explicitly: the SDK's JSDoc disagrees with itself about the default
      catchupWindow: parseDuration('drift.catchupWindow', drift.catchupWindow),
      pauseOnFailure: false,
    },
    state: { paused: drift.paused, note: `declared in MODELS_CONFIG (${every})` },
  };
}

export interface AppliedSchedule {
  scheduleId: string;
  model: string;
  outcome: 'created' | 'updated';
}

/** Creates or updates the sensor schedule of every declared model with a drift section. */
export async function applySchedules(client: Client, models: ModelDeclaration[], taskQueue: string): Promise<AppliedSchedule[]> {
  const applied: AppliedSchedule[] = [];
  for (const model of models) {
    const options = sensorScheduleOptions(model, taskQueue);
    if (!options) continue;
    try {
      await client.schedule.create(options);
      applied.push({ scheduleId: options.scheduleId, model: model.name, outcome: 'created' });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(options.scheduleId).update(
        (previous): ScheduleUpdateOptions => ({
          ...previous,
          spec: options.spec,
          action: options.action,
          policies: { ...previous.policies, ...options.policies },
          state: { ...previous.state, paused: options.state?.paused ?? previous.state.paused, note: options.state?.note },
        }),
      );
      applied.push({ scheduleId: options.scheduleId, model: model.name, outcome: 'updated' });
    }
  }
  return applied;
}
