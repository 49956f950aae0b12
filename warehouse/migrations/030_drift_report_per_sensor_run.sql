-- One drift report per sensor run: a retried writeDriftReport activity finds the report it wrote
-- instead of adding a second one.
CREATE UNIQUE INDEX IF NOT EXISTS drift_reports_by_sensor_run
  ON monitoring.drift_reports (sensor_workflow_id, sensor_run_id);
