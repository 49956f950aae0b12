-- One drift report per model, version and current window: a backfill run again over the same period
-- (or ten sensors racing on one window) finds the report already written instead of adding another.
-- writeDriftReport inserts with ON CONFLICT on this index (src/registry/drift-reports.ts).

-- Earlier duplicates collapse into the first report of their window: it inherits a retrain a later
-- one recorded, and versions whose lineage named a later one point at it.
WITH ranked AS (
  SELECT id, first_value(id) OVER w AS keep, retrain_workflow_id
    FROM monitoring.drift_reports
  WINDOW w AS (PARTITION BY model_name, model_version, current_start, current_end ORDER BY id)
), dupes AS (
  SELECT id, keep, retrain_workflow_id FROM ranked WHERE id <> keep
), retrains AS (
  UPDATE monitoring.drift_reports r SET retrain_workflow_id = d.retrain_workflow_id
    FROM (SELECT DISTINCT ON (keep) keep, retrain_workflow_id FROM dupes WHERE retrain_workflow_id IS NOT NULL ORDER BY keep, id) d
   WHERE r.id = d.keep AND r.retrain_workflow_id IS NULL
), lineage AS (
  UPDATE registry.model_versions v SET drift_report_id = d.keep FROM dupes d WHERE v.drift_report_id = d.id
)
DELETE FROM monitoring.drift_reports r USING dupes d WHERE r.id = d.id;

CREATE UNIQUE INDEX IF NOT EXISTS drift_reports_by_window
  ON monitoring.drift_reports (model_name, model_version, current_start, current_end);
