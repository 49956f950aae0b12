/**
 * Every live `patched()` id, in one list: the code behind each runs in runs that reach it after the
 * commit that added it, and histories recorded before replay without it. The id strings are in the
 * newer histories' markers: never change one.
 *
 * An id may become `deprecatePatch(id)` once no run of the affected workflow started before its commit
 * is open, nor still within the namespace's retention (a query on a closed run replays it): retrainModel
 * has no run timeout, so its longest run is its approval wait (approvalTimeout, default 1d) plus the
 * ingest and training before it. Find them with `temporal workflow list --query 'WorkflowType="…" AND
 * StartTime < "<commit time>"'`; after the change, `npx tsx src/cli/index.ts replay` checks that the
 * recorded runs still replay.
 */
export const Patch = {
  /**
   * ingestSource: admitSourceDefinition (src/ingest/admission.ts) before an inline definition's run,
   * and before a run from a checkpoint. Added on branch i22-dest (2026-12-08, issue 22).
   */
  ingestAdmission: 'ingest-admission',
  /**
   * retrainModel: a failed (not cancelled) retrain records retrain.failed for webhooks
   * (recordRetrainFailure) before it rethrows. Added in 5ad647a (2026-12-02, webhooks).
   */
  webhookRetrainFailed: 'webhook-retrain-failed',
  /**
   * retrainModel: archiveAbandonedVersions before training (staging versions of terminated runs) and
   * pruneH2OModels after each decision. Added in bd62fd3 (2026-12-01).
   */
  retrainCleanup: 'retrain-cleanup',
  /**
   * trainModels: each spec trains in one trainSpecOnSlot activity on TRAINING_TASK_QUEUE (else
   * startTrainingJob + awaitTrainingJob on the run's own queue); retrainModel: the RetrainState search
   * attribute. Deprecated only once neither workflow has an older run left. Added in b8d2f85 (2026-12-02).
   */
  trainingSlots: 'training-slots',
  /**
   * retrainModel: checkMojoServable before registering the champion, its verdict stored with the
   * version, and an unservable champion archived instead of promoted. Added in e003e4e (2026-12-01,
   * the merge that put the check, a37f24b, into decideAndPromote).
   */
  mojoServableCheck: 'mojo-servable-check',
} as const;
