-- Webhooks (docs/WEBHOOKS.md): an outbox of events, one delivery per (subscription, event), and every
-- HTTP attempt of a delivery.
--
-- events: written in the transaction of the change they announce (a registry stage event), or keyed
-- by the change's own id (a drift report, a failed retrain's run), so a retried activity adds
-- nothing. dispatched_at is set once the event's deliveries were started; the sweeper starts those
-- of events still NULL (a crash between a commit and the start).
CREATE SCHEMA IF NOT EXISTS webhooks;

CREATE TABLE IF NOT EXISTS webhooks.events (
  -- 'stage_event:<id>', 'drift_report:<id>', 'retrain_failed:<run id>': derived from the change
  id            text        PRIMARY KEY,
  seq           bigserial   NOT NULL UNIQUE,
  type          text        NOT NULL CHECK (type IN ('version.registered', 'version.promoted', 'version.archived', 'version.rolled_back', 'drift.detected', 'retrain.failed')),
  model_name    text,
  payload       jsonb       NOT NULL,
  occurred_at   timestamptz NOT NULL DEFAULT now(),
  dispatched_at timestamptz
);
CREATE INDEX IF NOT EXISTS events_pending ON webhooks.events (seq) WHERE dispatched_at IS NULL;

CREATE TABLE IF NOT EXISTS webhooks.deliveries (
  -- hash of (subscription, event id): the receiver's X-Webhook-Id, and the workflow id webhook-<id>
  id            text        PRIMARY KEY,
  event_id      text        NOT NULL REFERENCES webhooks.events (id),
  subscription  text        NOT NULL,
  status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  -- the last attempt's error when failed
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  UNIQUE (subscription, event_id)
);
CREATE INDEX IF NOT EXISTS deliveries_created ON webhooks.deliveries (created_at DESC);
CREATE INDEX IF NOT EXISTS deliveries_failed ON webhooks.deliveries (created_at DESC) WHERE status = 'failed';

CREATE TABLE IF NOT EXISTS webhooks.attempts (
  delivery_id      text        NOT NULL REFERENCES webhooks.deliveries (id),
  -- 1, 2, 3, … over every run of the delivery (a redelivery continues the count)
  attempt          integer     NOT NULL CHECK (attempt >= 1),
  -- the Temporal activity attempt that sent it: a retried recording adds no row
  workflow_run_id  text        NOT NULL,
  activity_attempt integer     NOT NULL,
  -- sending: in flight (or its worker died: marked lost by the next attempt)
  status           text        NOT NULL CHECK (status IN ('sending', 'delivered', 'retry', 'rejected', 'lost')),
  url              text        NOT NULL,
  signature_timestamp bigint   NOT NULL,
  started_at       timestamptz NOT NULL DEFAULT now(),
  latency_ms       integer,
  response_code    integer,
  -- the first bytes of the response body
  response_head    text,
  error            text,
  PRIMARY KEY (delivery_id, attempt),
  UNIQUE (delivery_id, workflow_run_id, activity_attempt)
);

-- Whoever writes the registry writes its outbox in the same transaction (src/registry/queries.ts), so
-- the roles that may use the registry schema get the same rights here. warehouse/roles.sql grants
-- them on a fresh database; this covers one whose roles were made before this migration.
DO $grants$
DECLARE
  r text;
BEGIN
  FOR r IN
    SELECT rolname FROM pg_roles
     WHERE rolname <> current_user AND rolname NOT LIKE 'pg\_%' AND NOT rolsuper
       AND has_schema_privilege(oid, 'registry', 'USAGE') AND has_table_privilege(oid, 'registry.stage_events', 'INSERT')
  LOOP
    EXECUTE format('GRANT USAGE ON SCHEMA webhooks TO %I', r);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA webhooks TO %I', r);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA webhooks TO %I', r);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA webhooks GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', r);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA webhooks GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', r);
  END LOOP;
END
$grants$;
