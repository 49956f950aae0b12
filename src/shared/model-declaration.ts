/**
 * The declared models (MODELS_CONFIG, default models.yaml; JSON Schema in schemas/models.schema.json):
 * for each monitored model, how to train it and how its drift sensor runs. Pure: src/catalog/models.ts
 * reads the file.
 *
 * ```yaml
 * models:
 *   churn:
 *     featureSet: customers          # where features (and, by default, the target) live
 *     target: churned
 *     metric: auc                    # champion metric
 *     trainingWindow: 30d            # retrains train on [now - 30d, now)
 *     specs:
 *       - { name: gbm, algorithm: gbm, parameters: { ntrees: 50 } }
 *     retrain: { requireApproval: false, approvalTimeout: 1d, ingestSource: customers-api }
 *     drift:
 *       window: 1d                   # the sensor compares [now - 1d, now) with the reference
 *       every: 1h                    # or cron: "0 * * * *"
 *       catchupWindow: 1h            # missed runs older than this are skipped after an outage
 *       runTimeout: 1h               # a run still going after this is timed out; the next one starts
 *       jitter: 5m                   # runs start up to 5m late, at random: a fleet due at once spreads out
 * webhooks:                          # optional: signed notifications (src/shared/webhooks.ts, docs/WEBHOOKS.md)
 *   chat: { url: https://hooks.example.com/mlops, events: [version.promoted], secretEnv: WEBHOOK_SECRET_CHAT }
 * ```
 *
 * A fleet of similar models: YAML anchors under `templates:` and merge keys share one declaration:
 *   templates: { churn: &churn { target: churned, metric: auc, specs: [...], drift: { every: 1h } } }
 *   models: { churn_eu: { <<: *churn, featureSet: customers_eu }, churn_us: { <<: *churn, featureSet: customers_us } }
 */
import { z } from 'zod';
import { policyProblem } from './drift/verdict';
import { duration, parseDuration } from './duration';
import { ValidationError } from './errors';
import { modelName, sourceName } from './names';
import { trainingOptions } from './training-spec';
import { flag, integer, matching, number, parse, strict } from './validation';
import { webhookSubscriptions, type WebhookSubscription } from './webhooks';

/** The training part: what retrainModel hands to trainModels. */
export const trainingDeclaration = strict({
  ...trainingOptions,
  trainingWindow: duration.default('30d').meta({ description: 'retrains train on [now − trainingWindow, now)' }),
});
export type TrainingDeclaration = z.output<typeof trainingDeclaration>;

const retrainDeclaration = strict({
  requireApproval: flag().default(false).meta({ description: 'wait for an `approve` update before promoting' }),
  approvalTimeout: duration
    .default('1d')
    .meta({ description: 'how long to wait for approval before giving up (production unchanged)' }),
  ingestSource: sourceName
    .optional()
    .meta({ description: 'a source to ingest before training (runs the ingestSource workflow)' }),
});
export type RetrainDeclaration = z.output<typeof retrainDeclaration>;

function shorter(a: string, b: string): boolean {
  try {
    return parseDuration('a', a) < parseDuration('b', b);
  } catch {
    return true; // a malformed duration is its own field's error
  }
}

const CRON = /^\s*(@\w+|(\S+\s+){4,6}\S+)\s*$/;

const driftDeclaration = strict({
  window: duration.default('1d').meta({ description: "the sensor's current window [now − window, now)" }),
  every: duration
    .optional()
    .meta({ description: "interval between sensor runs, e.g. '1h' (one of every / cron); '1h' when neither is given" }),
  cron: matching(CRON, "a cron expression such as '0 * * * *' or '@hourly'")
    .optional()
    .meta({ description: 'a cron expression instead of `every`' }),
  catchupWindow: duration
    .default('1h')
    .meta({ description: 'missed runs within this window are run after an outage, older ones skipped' }),
  minRows: integer(1, 1e9).optional().meta({ description: 'overrides DRIFT_MIN_ROWS' }),
  warnThreshold: number(1e-6, 100).optional().meta({ description: 'overrides DRIFT_PSI_WARN' }),
  driftThreshold: number(1e-6, 100).optional().meta({ description: 'overrides DRIFT_PSI_DRIFT' }),
  sampleSizeAlpha: number(1e-6, 0.5).optional().meta({ description: 'overrides DRIFT_SAMPLE_SIZE_ALPHA' }),
  runTimeout: duration.default('1h').meta({
    description:
      'how long one sensor run may take before Temporal times it out, so a stuck run cannot hold its schedule (overlap SKIP) forever',
  }),
  jitter: duration.optional().meta({
    description:
      'each run starts up to this much after its scheduled time, at random, so a fleet of sensors due in the same minute does not start at once (the window still ends at the scheduled time); shorter than `every`. Default: none. A backfill of a jittered schedule must end at least this long after its last scheduled time, or the server drops that run',
  }),
  paused: flag().default(false).meta({ description: 'create the schedule paused' }),
})
  .refine((d) => d.every === undefined || d.cron === undefined, {
    path: ['cron'],
    error: 'either every or cron, not both',
  })
  .refine((d) => d.jitter === undefined || d.cron !== undefined || shorter(d.jitter, d.every ?? '1h'), {
    path: ['jitter'],
    error: 'a duration shorter than `every`',
  })
  // both thresholds declared: the rule of policyProblem (src/shared/drift/verdict.ts); one declared is checked with its DRIFT_* partner when resolved
  .superRefine((d, ctx) => {
    if (d.warnThreshold === undefined || d.driftThreshold === undefined) return;
    const problem = policyProblem({
      warnThreshold: d.warnThreshold,
      driftThreshold: d.driftThreshold,
      minRows: d.minRows ?? 1,
      sampleSizeAlpha: d.sampleSizeAlpha,
    });
    if (problem)
      ctx.addIssue({ code: 'custom', path: [problem[0]], message: problem[2], params: { value: problem[1] } });
  })
  .transform((d) => (d.cron === undefined ? { ...d, every: d.every ?? '1h' } : d));
export type DriftDeclaration = z.output<typeof driftDeclaration>;

const modelDeclaration = strict({
  ...trainingDeclaration.shape,
  retrain: retrainDeclaration
    .default({ requireApproval: false, approvalTimeout: '1d' })
    .meta({ description: 'how a retrain promotes' }),
  drift: driftDeclaration
    .optional()
    .meta({ description: 'the drift sensor; absent: the model is not monitored (no schedule)' }),
});

/** A whole models file. `$schema` lets editors find schemas/models.schema.json. */
export const modelsFile = strict(
  {
    $schema: z.string().optional(),
    templates: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'YAML anchors a fleet of models shares with merge keys (`<<: *name`); not read otherwise' }),
    models: z
      .record(modelName, modelDeclaration, { error: 'a top-level `models:` map of model name → declaration' })
      .meta({ description: 'model name → declaration' }),
    webhooks: webhookSubscriptions.optional(),
  },
  'a top-level `models:` map of model name → declaration',
);

export type ModelDeclaration = z.output<typeof modelDeclaration> & { name: string };

/** Validates a whole file once: its models (`{ models: { <name>: {...} } }`) and its webhook subscriptions (none when absent). */
export function validateDeclarationsFile(raw: unknown): {
  models: ModelDeclaration[];
  webhooks: WebhookSubscription[];
} {
  // an empty file parses to null: name the `models:` key it lacks
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ValidationError('models', raw, 'a top-level `models:` map of model name → declaration');
  const file = parse(modelsFile, raw);
  return {
    models: Object.entries(file.models).map(([name, declaration]) => ({ name, ...declaration })),
    webhooks: Object.entries(file.webhooks ?? {}).map(([name, subscription]) => ({ name, ...subscription })),
  };
}

/** The models of a whole file, validated with the rest of it. */
export function validateModelsFile(raw: unknown): ModelDeclaration[] {
  return validateDeclarationsFile(raw).models;
}

/**
 * A sensor's jitter: the declared one, else none. Opt-in because the server drops a backfilled run
 * whose jittered time falls after the backfill's end: a jittered schedule's backfill must end at least
 * `jitter` after its last scheduled time (docs/DRIFT.md).
 */
export function sensorJitterMs(drift: DriftDeclaration): number {
  return drift.jitter ? parseDuration('drift.jitter', drift.jitter) : 0;
}

/** The webhook subscriptions of a whole file (its `webhooks:` map; none when absent), validated with the rest of the file. */
export function validateWebhooksOfFile(raw: unknown): WebhookSubscription[] {
  return validateDeclarationsFile(raw).webhooks;
}

/** Validates a training configuration (a retrain's declaration merged with its input overrides). */
export function validateTraining(where: string, raw: unknown): TrainingDeclaration {
  return parse(trainingDeclaration, raw, where);
}

/** The training fields of a declaration: what a retrain's `input.training` overrides. */
export function trainingOf({
  name: _name,
  retrain: _retrain,
  drift: _drift,
  ...training
}: ModelDeclaration): TrainingDeclaration {
  return training;
}
