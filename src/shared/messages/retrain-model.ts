/** Messages of retrainModel (src/workflows/retrain-model.ts): the approval updates and the status query. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export interface ApprovalDecision {
  /** who decided (shown in the stage events) */
  by?: string;
  comment?: string;
}

/** Approve the staging version for production; accepted only while the retrain waits for approval. */
export const approve = defineUpdate<string, [ApprovalDecision]>('approve');
/** Reject it: the version is archived, production stays as it is. */
export const reject = defineUpdate<string, [ApprovalDecision]>('reject');

export type RetrainPhase =
  'resolving' | 'ingesting' | 'training' | 'registering' | 'awaiting-approval' | 'promoting' | 'done';

export interface RetrainStatus {
  phase: RetrainPhase;
  version?: number;
  /** the source ingested first (its child's `progress` query shows pages and records) */
  ingestSource?: string;
}

export const status = defineQuery<RetrainStatus>('status');
