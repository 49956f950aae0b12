/**
 * Every workflow type the worker serves, by name: what callers outside src/workflows/ start, with
 * each contract's function type as the generic (src/client.ts). test/unit/workflows.contracts.test.ts
 * checks src/workflows/index.ts exports exactly these, each as a function of that name.
 */
import { DELIVER_WEBHOOK } from './deliver-webhook';
import { DRIFT_SENSOR } from './drift-sensor';
import { INGEST_SOURCE } from './ingest-source';
import { RETRAIN_MODEL } from './retrain-model';
import { STACK_HEALTH } from './stack-health';
import { SWEEP_WEBHOOKS } from './sweep-webhooks';
import { TRAIN_MODELS } from './train-models';

export const WORKFLOW_TYPES = [
  STACK_HEALTH,
  TRAIN_MODELS,
  DRIFT_SENSOR,
  RETRAIN_MODEL,
  INGEST_SOURCE,
  DELIVER_WEBHOOK,
  SWEEP_WEBHOOKS,
] as const;

export type WorkflowType = (typeof WORKFLOW_TYPES)[number];
