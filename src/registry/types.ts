/**
 * Row types of the model registry (registry.model_versions, registry.stage_events), column by column.
 * Workflow-safe: types only.
 */
import type { Algorithm } from '../shared/algorithms';
import type { TimeWindow } from '../shared/time-window';
import type { CandidateVersion, ReferenceProfile } from '../shared/types';

export type Stage = 'staging' | 'production' | 'archived';

/** One model version as the registry stores it. */
export interface ModelVersionSummary {
  model: string;
  /** 1, 2, 3, … per model: gapless, never reused */
  version: number;
  stage: Stage;
  algorithm: Algorithm | string;
  /** validation metrics as H2O reported them */
  metrics: Record<string, number>;
  artifactPath: string;
  artifactSha256: string;
  featureSet: string | null;
  target: string | null;
  /** the training window; null for versions registered without one */
  window: TimeWindow | null;
  /** lineage: the workflow run that registered the version */
  workflowId: string;
  runId: string;
  /** lineage: the drift report that caused the retrain, if a drift did */
  driftReportId: number | null;
  /** set on rollbacks: the version whose artifact this one re-deploys */
  rolledBackFrom: number | null;
  createdAt: string;
  promotedAt: string | null;
  archivedAt: string | null;
  /** whether src/mojo can serve its MOJO (null: registered before the check existed) */
  servable: boolean | null;
  /** why it cannot, naming the MOJO setting */
  servingProblem: string | null;
}

/** A production version with its reference histograms, as the drift sensor reads it. */
export interface ProductionVersion {
  model: string;
  version: number;
  featureSet: string;
  window: TimeWindow | null;
  reference: ReferenceProfile;
}

/** What registerVersion needs: a training run's champion plus lineage. */
export interface RegisterVersionInput {
  candidate: CandidateVersion;
  /** the workflow run registering it: a retried registration by the same run finds its version */
  workflowId: string;
  runId: string;
  driftReportId?: number;
  /** text of the staging stage event. @default 'registered by <workflowId>' */
  reason?: string;
  /** the scorer's verdict on the MOJO (checkMojoServable) */
  serving?: ServingCheck;
}

/** Whether the platform's scorer can serve a MOJO, and why not. */
export interface ServingCheck {
  servable: boolean;
  problem: string | null;
}

export interface RegisterVersionOutput {
  version: number;
  /** false when this run had registered it already (a retry) */
  created: boolean;
}

export interface PromoteVersionInput {
  model: string;
  version: number;
  reason: string;
  workflowId?: string;
  /** promote a version the scorer cannot serve (served by something else); refused otherwise */
  allowUnservable?: boolean;
}

export interface PromoteVersionOutput {
  /** the version now in production (the promoted one, unless it was superseded) */
  production: number;
  /** the version archived by this promotion, if any */
  archived: number | null;
  /** 'promoted', 'already-production' (idempotent retry) or 'superseded' (a newer version is in production) */
  outcome: 'promoted' | 'already-production' | 'superseded';
}

export interface RollbackVersionInput {
  model: string;
  /** the earlier version whose artifact goes back into production */
  toVersion: number;
  reason: string;
  /** who asked (lineage of the new version); a retried rollback with the same ids is a no-op */
  workflowId: string;
  runId: string;
}

export interface RollbackVersionOutput {
  /** the new version number (a rollback is a version bump too) */
  version: number;
  rolledBackFrom: number;
  archived: number | null;
  created: boolean;
}
