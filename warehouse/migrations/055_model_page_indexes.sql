-- The model pages (/ui/, src/serving/ui/) read a model's newest rows only: its stage events newest
-- first, and the drift reports of its latest windows (the PSI chart). Without these indexes a model
-- with thousands of stage events or 10,000 reports is read whole (and sorted) on every page view;
-- with them each page reads its LIMIT rows from the top of one index. The versions table pages on
-- the primary key (model_name, version); the overview's last report per model uses
-- drift_reports_model_created (init.sql).
CREATE INDEX IF NOT EXISTS stage_events_by_model ON registry.stage_events (model_name, id DESC);
CREATE INDEX IF NOT EXISTS drift_reports_by_model_window ON monitoring.drift_reports (model_name, current_end DESC, id DESC);
