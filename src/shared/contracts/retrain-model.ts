/** The contract of retrainModel (src/workflows/retrain-model.ts): what its starters and callers pass and get back. */
import type { ChampionMetric } from '../metrics';
import type { TrainingDeclaration } from '../model-declaration';
import type { TimeWindow } from '../time-window';

export const RETRAIN_MODEL = 'retrainModel';

export type RetrainTrigger = 'schedule' | 'drift' | 'manual';

export interface RetrainModelInput {
  model: string;
  /** why: free text kept in the stage events ('manual', 'drift: …', 'schedule') */
  reason: string;
  /** what started it; default from `reason` ('drift…' → drift, 'schedule…' → schedule), else manual */
  trigger?: RetrainTrigger;
  /** lineage: the drift report that called for this retrain */
  driftReportId?: number;
  /** the drift report's max PSI, shown as DriftPSI */
  driftPsi?: number;
  /** wait for an `approve` update before promoting. @default the declaration's, else false */
  requireApproval?: boolean;
  /** how long to wait for approval, e.g. '1h'. @default the declaration's, else '1d' */
  approvalTimeout?: string;
  /** a source to ingest first (ingestSource workflow); false skips the declared one. @default the declaration's */
  ingestSource?: string | false;
  /** the training window. @default [now − trainingWindow, now) */
  window?: TimeWindow;
  /** overrides of (or, for undeclared models, all of) the training configuration */
  training?: Partial<TrainingDeclaration>;
  /** promote a champion the platform's scorer cannot serve (served some other way). @default false */
  allowUnservable?: boolean;
}

export interface RetrainModelOutput {
  model: string;
  version: number;
  /**
   * 'promoted'; 'rejected' or 'approval-timeout' (production unchanged); 'superseded' (a newer version
   * won); 'unservable' (the scorer cannot serve the champion: archived, production unchanged)
   */
  outcome: 'promoted' | 'rejected' | 'approval-timeout' | 'superseded' | 'unservable';
  /** the version in production when the workflow ended */
  production: number | null;
  metric: ChampionMetric;
  metricValue: number;
  specName: string;
  window: TimeWindow;
}

export type RetrainModelWorkflow = (input: RetrainModelInput) => Promise<RetrainModelOutput>;

/** The Trigger search attribute of a retrain: the starter sets it at the start, the workflow again from its input. */
export function triggerOf(input: Pick<RetrainModelInput, 'trigger' | 'reason'>): RetrainTrigger {
  if (input.trigger) return input.trigger;
  if (/^drift/i.test(input.reason)) return 'drift';
  if (/^schedule/i.test(input.reason)) return 'schedule';
  return 'manual';
}
