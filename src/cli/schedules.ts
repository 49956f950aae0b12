/** `schedules apply`: creates or updates one drift-sensor schedule per declared model (MODELS_CONFIG), and the webhooks sweep when it declares webhooks. */
import { loadModelDeclarations, loadWebhookSubscriptions } from '../catalog/models';
import { applySchedules, applyWebhookSweepSchedule, connectTemporal } from '../client';
import { WEBHOOK_SWEEP_SCHEDULE_ID } from '../shared/ids';
import { config } from '../config';
import { ValidationError } from '../shared/errors';
import { temporalHint } from './temporal';

export async function schedulesCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'apply') throw new ValidationError('schedules subcommand', sub ?? '', 'apply');
  if (rest.length)
    throw new ValidationError(
      'schedules apply arguments',
      rest.join(' '),
      'no arguments (the schedules come from MODELS_CONFIG)',
    );
  const cfg = config();
  const models = loadModelDeclarations(cfg.models.configPath);
  const webhooks = loadWebhookSubscriptions(cfg.models.configPath);
  if (models.length === 0 && webhooks.length === 0) {
    console.log(`no models declared in ${cfg.models.configPath}: nothing to schedule`);
    return 0;
  }
  const temporal = await connectTemporal(cfg);
  try {
    const applied = await applySchedules(temporal.client, models, cfg.temporal.taskQueue);
    // a fleet prints its counts; a handful of models each line
    if (applied.length <= 20)
      for (const a of applied) console.log(`${a.outcome.padEnd(8)} ${a.scheduleId} (model ${a.model})`);
    const count = (o: string) => applied.filter((a) => a.outcome === o).length;
    console.log(`${applied.length} sensor schedules: ${count('created')} created, ${count('updated')} updated`);
    if (webhooks.length > 0) {
      const outcome = await applyWebhookSweepSchedule(
        temporal.client,
        cfg.temporal.taskQueue,
        cfg.webhooks.sweepIntervalS,
      );
      console.log(
        `${outcome.padEnd(8)} ${WEBHOOK_SWEEP_SCHEDULE_ID} (webhooks: ${webhooks.map((w) => w.name).join(', ')})`,
      );
    }
    const unmonitored = models.filter((m) => !m.drift).map((m) => m.name);
    if (unmonitored.length)
      console.log(
        `not monitored (no drift section): ${unmonitored.length <= 20 ? unmonitored.join(', ') : `${unmonitored.length} models`}`,
      );
    console.log(
      `see them with: ${temporalHint('schedule list')}, or http://${cfg.temporal.host}:${cfg.temporal.uiPort}/namespaces/${cfg.temporal.namespace}/schedules`,
    );
    return 0;
  } finally {
    await temporal.close();
  }
}
