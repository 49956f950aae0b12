/** Messages of retrainModel (src/workflows/retrain-model.ts): the approval updates and the status query. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { unstorableText } from '../storable-text';
import { strict } from '../validation';

export interface ApprovalDecision {
  /** who decided (shown in the stage events) */
  by?: string;
  comment?: string;
}

export const APPROVAL_BY_MAX = 200;
export const APPROVAL_COMMENT_MAX = 2000;

/**
 * Text of a decision: it becomes a stage event's reason (a text column), so what PostgreSQL cannot store
 * (a NUL, a lone surrogate) is refused here, while the caller waits, and not retried at the promotion.
 * Control characters are refused too (a comment may hold line breaks and tabs; a name may not).
 */
function decisionText(max: number, lines: boolean) {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  const control = lines ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
  const expected = `text of at most ${max} characters, without control characters${lines ? ' (line breaks and tabs allowed)' : ''}, NUL or lone UTF-16 surrogates`;
  return z
    .string({ error: expected })
    .max(max, { error: expected })
    .refine((t) => !control.test(t) && !unstorableText(t), { error: expected });
}

/** The approve and reject updates' argument (absent: a decision by 'unknown' without a comment). */
export const approvalDecision = strict(
  { by: decisionText(APPROVAL_BY_MAX, false).optional(), comment: decisionText(APPROVAL_COMMENT_MAX, true).optional() },
  'an object { by?, comment? }',
).optional();

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
