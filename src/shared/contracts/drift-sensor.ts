/** The contract of driftSensor (src/workflows/drift-sensor.ts): what its Schedules and callers pass and get back. */
import type { DriftPolicy, DriftVerdict } from '../drift';
import type { TimeWindow } from '../time-window';

export const DRIFT_SENSOR = 'driftSensor';

export interface DriftSensorInput {
  model: string;
  /**
   * the current window; default [end − drift.window, end) of the model's declaration (1 day), where
   * end is the run's scheduled time (TemporalScheduledStartTime: Schedules and their backfills set it)
   * or else the workflow's clock
   */
  window?: TimeWindow;
  /** overrides of the policy (thresholds, minRows); default DRIFT_* and the declaration */
  policy?: Partial<DriftPolicy>;
  /**
   * start a retrain on drift. @default true for a current window, false for a past one (a window that
   * ended at least one window length before the run started, e.g. a backfill): drift found in the past
   * is recorded, but does not say the model is stale now
   */
  retrainOnDrift?: boolean;
  /**
   * scan every row of the window with the exact reader instead of reading closed partitions from
   * their profiles (docs/DRIFT.md, "Profiles"); the report records which was used. @default false
   */
  exact?: boolean;
}

export interface DriftSensorOutput {
  model: string;
  /** 'no_production_version' when the model has nothing to compare with (no report written) */
  verdict: DriftVerdict | 'no_production_version';
  version?: number;
  maxPsi?: number;
  reportId?: number;
  /** the window the sensor evaluated */
  window?: TimeWindow;
  /** true when the window ended one window length or more before the run started (a backfill) */
  pastWindow?: boolean;
  /** the retrain started or joined on drift */
  retrainWorkflowId?: string;
  psi?: Record<string, number>;
  /** how the window was read: 'profiles' or 'exact' */
  readMethod?: 'profiles' | 'exact';
}

export type DriftSensorWorkflow = (input: DriftSensorInput) => Promise<DriftSensorOutput>;
