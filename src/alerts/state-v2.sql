-- State schema version 2 (applied once, in one transaction, by src/alerts/migrate.ts; an existing
-- version-1 file is upgraded in place, its rows kept).
--
-- JSON payloads (a result's anomalies, its chart data) are stored once and referenced by id:
-- consecutive runs mostly produce identical anomalies, and chart data (~69 KB a run) is kept only
-- for alerting results and for the latest run (see recordRun), not for every result.
CREATE TABLE IF NOT EXISTS payloads (
  id    INTEGER PRIMARY KEY,
  hash  TEXT    NOT NULL UNIQUE, -- sha256 of json (first 32 hex digits)
  json  TEXT    NOT NULL
);

-- Rows written from version 2 on have anomalies_json = '' and chart_json NULL, and reference
-- payloads instead; read them through the view check_results_full.
ALTER TABLE check_results ADD COLUMN anomalies_id INTEGER;
ALTER TABLE check_results ADD COLUMN chart_id INTEGER;
CREATE INDEX IF NOT EXISTS check_results_anomalies_id ON check_results (anomalies_id) WHERE anomalies_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS check_results_chart_id ON check_results (chart_id) WHERE chart_id IS NOT NULL;
-- The charts that only the latest run keeps (non-alerting results): found without a scan.
CREATE INDEX IF NOT EXISTS check_results_transient_charts ON check_results (run_id)
  WHERE chart_id IS NOT NULL AND status <> 'alert';

-- Retention (src/alerts/retention.ts) deletes the oldest first, in bounded batches.
CREATE INDEX IF NOT EXISTS check_runs_by_started ON check_runs (started_at);
CREATE INDEX IF NOT EXISTS alerts_resolved ON alerts (resolved_at) WHERE state = 'resolved';
CREATE INDEX IF NOT EXISTS outbox_by_status_sent ON outbox (status, sent_at);
CREATE INDEX IF NOT EXISTS outbox_by_depends_on ON outbox (depends_on) WHERE depends_on IS NOT NULL;

-- Every result with its anomalies and chart data as JSON, whichever way the row was stored.
CREATE VIEW IF NOT EXISTS check_results_full AS
SELECT r.rowid AS rowid, r.run_id, r.check_name, r.type, r.status, r.severity, r.anomaly_count, r.duration_ms, r.error, r.metrics_json,
       COALESCE(a.json, NULLIF(r.anomalies_json, ''), '[]') AS anomalies_json,
       COALESCE(c.json, r.chart_json) AS chart_json
FROM check_results r
LEFT JOIN payloads a ON a.id = r.anomalies_id
LEFT JOIN payloads c ON c.id = r.chart_id;

UPDATE meta SET value = '2' WHERE key = 'schema_version';
