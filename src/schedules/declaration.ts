/**
 * The declared models (MODELS_CONFIG, default models.yaml): for each monitored model, how to train it
 * and how its drift sensor runs. Validated here with errors naming the field and value.
 * Workflow-safe: pure functions and types, no I/O (load.ts reads the file).
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
 * ```
 */
import { ValidationError } from '../errors';
import type { ChampionMetric, ModelSpec } from '../types';

/** The training part: what retrainModel hands to trainModels. */
export interface TrainingDeclaration {
  featureSet: string;
  target: string;
  specs: ModelSpec[];
  metric: ChampionMetric;
  /** retrains train on [now − trainingWindow, now). @default '30d' */
  trainingWindow: string;
  /** feature names; all but the target when omitted */
  features?: string[];
  /** feature set holding the target, when not featureSet */
  labelFeatureSet?: string;
  validationFraction?: number;
  maxParallel?: number;
  seed?: number;
}

export interface RetrainDeclaration {
  /** wait for an `approve` update before promoting. @default false */
  requireApproval: boolean;
  /** how long to wait for approval before giving up (production unchanged). @default '1d' */
  approvalTimeout: string;
  /** a source to ingest before training (runs the ingestSource workflow). @default unset */
  ingestSource?: string;
}

export interface DriftDeclaration {
  /** the sensor's current window [now − window, now). @default '1d' */
  window: string;
  /** interval between sensor runs, e.g. '1h' (one of every / cron). @default '1h' */
  every?: string;
  /** a cron expression instead of `every` */
  cron?: string;
  /** missed runs within this window are run after an outage, older ones skipped. @default '1h' */
  catchupWindow: string;
  /** overrides of DRIFT_MIN_ROWS, DRIFT_PSI_WARN, DRIFT_PSI_DRIFT, DRIFT_SAMPLE_SIZE_ALPHA */
  minRows?: number;
  warnThreshold?: number;
  driftThreshold?: number;
  sampleSizeAlpha?: number;
  /** create the schedule paused. @default false */
  paused: boolean;
}

export interface ModelDeclaration extends TrainingDeclaration {
  name: string;
  retrain: RetrainDeclaration;
  /** absent: the model is not monitored (no schedule) */
  drift?: DriftDeclaration;
}

const METRICS: readonly ChampionMetric[] = ['auc', 'logloss', 'rmse', 'mae', 'mean_per_class_error'];
const ALGORITHMS = ['gbm', 'drf', 'glm', 'xgboost'];
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** '90s', '15m', '1h', '30d', '2w' → milliseconds. */
export function parseDuration(field: string, value: unknown): number {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(value.trim()) : null;
  if (!match || Number(match[1]) <= 0) throw new ValidationError(field, value, "a duration such as '90s', '15m', '1h', '30d' or '2w'");
  return Number(match[1]) * UNITS[match[2]!]!;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(field: string, v: unknown, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new ValidationError(field, v, 'a non-empty string');
  return v;
}

function num(field: string, v: unknown, min: number, max: number, integer = false): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new ValidationError(field, v, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return v;
}

function allowOnly(field: string, raw: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(raw)) if (!keys.includes(k)) throw new ValidationError(`${field}.${k}`, raw[k], `an unknown field; known: ${keys.join(', ')}`);
}

/** Validates model specs (names unique and H2O-id safe, a known algorithm). */
export function validateSpecs(field: string, raw: unknown): ModelSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new ValidationError(field, raw, 'a non-empty list of model specs');
  const names = new Set<string>();
  return raw.map((s, i) => {
    const f = `${field}[${i}]`;
    if (!isRecord(s)) throw new ValidationError(f, s, 'a model spec { name, algorithm, parameters?, grid? }');
    const name = str(`${f}.name`, s.name)!;
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(name)) throw new ValidationError(`${f}.name`, name, 'letters, digits, _ and -, at most 40');
    if (names.has(name)) throw new ValidationError(`${f}.name`, name, 'spec names must be unique');
    names.add(name);
    if (!ALGORITHMS.includes(s.algorithm as string)) throw new ValidationError(`${f}.algorithm`, s.algorithm, `one of ${ALGORITHMS.join(', ')}`);
    if (s.parameters !== undefined && !isRecord(s.parameters)) throw new ValidationError(`${f}.parameters`, s.parameters, 'an object of H2O parameters');
    if (s.grid !== undefined && !isRecord(s.grid)) throw new ValidationError(`${f}.grid`, s.grid, 'an object of parameter → list of values');
    return s as unknown as ModelSpec;
  });
}

/** Validates the training part (also used for a retrain's merged input). */
export function validateTraining(prefix: string, raw: Record<string, unknown>): TrainingDeclaration {
  const metric = raw.metric as ChampionMetric;
  if (!METRICS.includes(metric)) throw new ValidationError(`${prefix}metric`, raw.metric, `one of ${METRICS.join(', ')}`);
  const trainingWindow = (raw.trainingWindow as string | undefined) ?? '30d';
  parseDuration(`${prefix}trainingWindow`, trainingWindow);
  if (raw.features !== undefined && (!Array.isArray(raw.features) || raw.features.some((f) => typeof f !== 'string' || !f))) {
    throw new ValidationError(`${prefix}features`, raw.features, 'a list of feature names');
  }
  return {
    featureSet: str(`${prefix}featureSet`, raw.featureSet)!,
    target: str(`${prefix}target`, raw.target)!,
    specs: validateSpecs(`${prefix}specs`, raw.specs),
    metric,
    trainingWindow,
    features: raw.features as string[] | undefined,
    labelFeatureSet: str(`${prefix}labelFeatureSet`, raw.labelFeatureSet, true),
    validationFraction: num(`${prefix}validationFraction`, raw.validationFraction, 0.01, 0.99),
    maxParallel: num(`${prefix}maxParallel`, raw.maxParallel, 1, 64, true),
    seed: num(`${prefix}seed`, raw.seed, -(2 ** 53), 2 ** 53, true),
  };
}

/** Validates one declared model; `raw` is the parsed YAML/JSON value under models.<name>. */
export function validateModelDeclaration(name: string, raw: unknown): ModelDeclaration {
  const p = `models.${name}.`;
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(name)) throw new ValidationError('models', name, 'a model name: a letter, then letters, digits, _ or -, at most 63');
  if (!isRecord(raw)) throw new ValidationError(`models.${name}`, raw, 'an object');
  allowOnly(`models.${name}`, raw, ['featureSet', 'target', 'specs', 'metric', 'trainingWindow', 'features', 'labelFeatureSet', 'validationFraction', 'maxParallel', 'seed', 'retrain', 'drift']);
  const training = validateTraining(p, raw);
  const r = raw.retrain ?? {};
  if (!isRecord(r)) throw new ValidationError(`${p}retrain`, r, 'an object');
  allowOnly(`${p}retrain`, r, ['requireApproval', 'approvalTimeout', 'ingestSource']);
  if (r.requireApproval !== undefined && typeof r.requireApproval !== 'boolean') throw new ValidationError(`${p}retrain.requireApproval`, r.requireApproval, 'true or false');
  const approvalTimeout = (r.approvalTimeout as string | undefined) ?? '1d';
  parseDuration(`${p}retrain.approvalTimeout`, approvalTimeout);
  const retrain: RetrainDeclaration = { requireApproval: r.requireApproval === true, approvalTimeout, ingestSource: str(`${p}retrain.ingestSource`, r.ingestSource, true) };
  let drift: DriftDeclaration | undefined;
  if (raw.drift !== undefined) {
    const d = raw.drift;
    if (!isRecord(d)) throw new ValidationError(`${p}drift`, d, 'an object');
    allowOnly(`${p}drift`, d, ['window', 'every', 'cron', 'catchupWindow', 'minRows', 'warnThreshold', 'driftThreshold', 'sampleSizeAlpha', 'paused']);
    if (d.every !== undefined && d.cron !== undefined) throw new ValidationError(`${p}drift.cron`, d.cron, 'either every or cron, not both');
    const window = (d.window as string | undefined) ?? '1d';
    parseDuration(`${p}drift.window`, window);
    const every = d.cron === undefined ? ((d.every as string | undefined) ?? '1h') : undefined;
    if (every !== undefined) parseDuration(`${p}drift.every`, every);
    const cron = str(`${p}drift.cron`, d.cron, true);
    if (cron !== undefined && !/^(@\w+|(\S+\s+){4,6}\S+)$/.test(cron.trim())) throw new ValidationError(`${p}drift.cron`, cron, "a cron expression such as '0 * * * *' or '@hourly'");
    const catchupWindow = (d.catchupWindow as string | undefined) ?? '1h';
    parseDuration(`${p}drift.catchupWindow`, catchupWindow);
    if (d.paused !== undefined && typeof d.paused !== 'boolean') throw new ValidationError(`${p}drift.paused`, d.paused, 'true or false');
    drift = {
      window,
      every,
      cron,
      catchupWindow,
      minRows: num(`${p}drift.minRows`, d.minRows, 1, 1e9, true),
      warnThreshold: num(`${p}drift.warnThreshold`, d.warnThreshold, 1e-6, 100),
      driftThreshold: num(`${p}drift.driftThreshold`, d.driftThreshold, 1e-6, 100),
      sampleSizeAlpha: num(`${p}drift.sampleSizeAlpha`, d.sampleSizeAlpha, 1e-6, 0.5),
      paused: d.paused === true,
    };
  }
  return { name, ...training, retrain, drift };
}

/** Validates a whole file: `{ models: { <name>: {...} } }`. */
export function validateModelsFile(raw: unknown): ModelDeclaration[] {
  if (!isRecord(raw) || !isRecord(raw.models)) throw new ValidationError('models', isRecord(raw) ? raw.models : raw, 'a top-level `models:` map of model name → declaration');
  return Object.entries(raw.models).map(([name, value]) => validateModelDeclaration(name, value));
}
