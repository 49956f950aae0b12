/**
 * Drift activities: reference profiles of training windows, histograms of current windows, drift
 * reports, and starting the retrain a drift calls for. Everything reads rows where they live and
 * returns bins and ids, never rows.
 */
import { getClient } from '@temporalio/activity';
import { z } from 'zod';
import { startRetrain } from '../client';
import { buildReferenceProfile } from '../feature-store/reference-profile';
import { windowHistograms } from '../feature-store/window-profiles';
import { recordReportRetrain, reportRetrain, writeDriftReport, type WriteDriftReportInput } from '../registry';
import type { BinSpec, WindowHistogram, WindowRead } from '../shared/drift';
import { featureSetName } from '../shared/names';
import { timeWindow, type TimeWindow } from '../shared/time-window';
import { featureNames } from '../shared/training-spec';
import type { ReferenceProfile } from '../shared/types';
import { flag, integer, parse, strict } from '../shared/validation';
import type { ActivityDeps } from './deps';
import { heartbeating } from './heartbeat';
import { emitAfterCommit } from './webhooks';
import { recordDriftEvent } from '../webhooks/outbox';

export interface ComputeReferenceProfileInput {
  featureSet: string;
  /** the training window [start, end) */
  window: TimeWindow;
  /** the features to profile (the model's inputs, not the target) */
  features: string[];
  /** equal-frequency bins per numeric feature. @default DRIFT_BINS (10, deciles) */
  bins?: number;
}

const referenceProfileInput = strict({
  featureSet: featureSetName,
  window: timeWindow,
  features: featureNames,
  bins: integer(2, 100).optional(),
});

export interface ComputeWindowHistogramInput {
  featureSet: string;
  window: TimeWindow;
  /** the bins of each feature, from the production version's reference */
  specs: Record<string, BinSpec>;
  /** scan every row of the window instead of reading closed partitions from their profiles. @default false */
  exact?: boolean;
}

/** The window's counts, and how they were read (profiles or the exact reader). */
export interface ComputeWindowHistogramOutput extends WindowHistogram {
  read: WindowRead;
}

const windowHistogramInput = z.object({
  featureSet: featureSetName,
  window: timeWindow,
  specs: z
    .record(z.string(), z.unknown(), { error: 'the bins of at least one feature' })
    .refine((s) => Object.keys(s).length > 0, { error: 'the bins of at least one feature' }),
  exact: flag().optional(),
});

export interface StartRetrainInput {
  model: string;
  /** the drift report that calls for it; its retrain_workflow_id records the retrain */
  driftReportId: number;
  maxPsi: number;
  /** task queue of the retrain (the sensor's own) */
  taskQueue: string;
}

export interface StartRetrainOutput {
  workflowId: string;
  runId: string;
}

export function createDriftActivities(deps: ActivityDeps) {
  const { config, pool } = deps;
  return {
    /** Reference histograms of a training window, stored with the model version it trains. */
    async computeReferenceProfile(input: ComputeReferenceProfileInput): Promise<ReferenceProfile> {
      parse(referenceProfileInput, input);
      // Three aggregate queries over the whole training window run before the first row streams: the
      // timer heartbeats through them (heartbeat timeout 1 minute, a large window takes longer).
      return heartbeating({ stage: 'aggregates', rows: 0 }, (report) =>
        buildReferenceProfile(pool, { featureSet: input.featureSet, window: input.window }, input.features, {
          bins: input.bins ?? config.drift.bins,
          maxCategories: config.drift.maxCategories,
          onProgress: (rows) => report({ stage: 'histogram', rows }),
        }),
      );
    },

    /**
     * Bin counts of a current window under a reference's bins, in constant memory: closed partitions
     * from their profiles, the rest scanned (src/feature-store/window-profiles.ts), or every row with `exact`.
     */
    async computeWindowHistogram(input: ComputeWindowHistogramInput): Promise<ComputeWindowHistogramOutput> {
      parse(windowHistogramInput, input);
      // the first row may be a while coming (a cold partition): the timer heartbeats until it does
      const { histogram, read } = await heartbeating({ rows: 0 }, (report) =>
        windowHistograms(pool, input.featureSet, input.window, input.specs, {
          exact: input.exact,
          openPartitionDays: config.ingest.openPartitionDays,
          onProgress: (rows) => report({ rows }),
        }),
      );
      return { ...histogram, read };
    },

    /** Writes the sensor run's drift report (idempotent per sensor run) and, on drift, its drift.detected event; returns its id. */
    async writeDriftReport(input: WriteDriftReportInput): Promise<{ reportId: number }> {
      const reportId = await writeDriftReport(pool, input);
      // drift.detected, keyed by the report: a retry, or a second sensor on the window, records nothing more
      if (await recordDriftEvent(pool, reportId)) await emitAfterCommit(deps);
      return { reportId };
    },

    /**
     * Starts (or joins) the drifted model's retrain (see startRetrain in src/client.ts) and records it
     * in the report; a retried activity whose report already names a retrain returns it instead of
     * starting another after that one finished.
     */
    async startRetrain(input: StartRetrainInput): Promise<StartRetrainOutput> {
      const client = getClient();
      const recorded = await reportRetrain(pool, input.driftReportId);
      if (recorded) {
        const description = await client.workflow.getHandle(recorded).describe();
        return { workflowId: description.workflowId, runId: description.runId };
      }
      const psi = Math.round(input.maxPsi * 1000) / 1000;
      const handle = await startRetrain(
        client,
        {
          model: input.model,
          reason: `drift: max PSI ${psi} (report ${input.driftReportId})`,
          trigger: 'drift',
          driftReportId: input.driftReportId,
          driftPsi: input.maxPsi,
        },
        {
          taskQueue: input.taskQueue,
          summary: `retrain ${input.model}: drift, max PSI ${psi}, report ${input.driftReportId}`,
        },
      );
      await recordReportRetrain(pool, input.driftReportId, handle.workflowId);
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    },
  };
}
