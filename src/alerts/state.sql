-- Alert state and run history (ANOMALY_STATE_DB, default data/state.db). Kept apart from the
-- data database so `init-db` never touches it. Every time is UTC text 'YYYY-MM-DD HH:MM:SS'.
-- Applied on every open: each statement is idempotent.

CREATE TABLE IF NOT EXISTS meta (
  key    TEXT NOT NULL PRIMARY KEY,
  value  TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');

-- One row per `anomaly run`.
CREATE TABLE IF NOT EXISTS check_runs (
  run_id           TEXT    NOT NULL PRIMARY KEY,
  at               TEXT    NOT NULL, -- the instant the checks evaluated
  started_at       TEXT    NOT NULL,
  finished_at      TEXT    NOT NULL,
  dry_run          INTEGER NOT NULL, -- 0 | 1
  status           TEXT    NOT NULL, -- ok | alert | error
  checks_total     INTEGER NOT NULL,
  checks_alerting  INTEGER NOT NULL,
  checks_errored   INTEGER NOT NULL
);

-- One row per check per run.
CREATE TABLE IF NOT EXISTS check_results (
  run_id          TEXT    NOT NULL,
  check_name      TEXT    NOT NULL,
  type            TEXT    NOT NULL,
  status          TEXT    NOT NULL, -- ok | alert | error | skipped
  severity        TEXT    NOT NULL,
  anomaly_count   INTEGER NOT NULL,
  duration_ms     INTEGER NOT NULL,
  error           TEXT,
  metrics_json    TEXT    NOT NULL,
  anomalies_json  TEXT    NOT NULL,
  chart_json      TEXT,
  PRIMARY KEY (run_id, check_name)
);
CREATE INDEX IF NOT EXISTS check_results_by_check ON check_results (check_name, run_id);

-- One row per fingerprint (`<check>:<anomaly key>`); a resolved alert that fires again is reset.
CREATE TABLE IF NOT EXISTS alerts (
  fingerprint       TEXT    NOT NULL PRIMARY KEY,
  check_name        TEXT    NOT NULL,
  key               TEXT    NOT NULL,
  state             TEXT    NOT NULL, -- firing | resolved
  severity          TEXT    NOT NULL,
  first_seen        TEXT    NOT NULL,
  last_seen         TEXT    NOT NULL,
  last_notified     TEXT,
  clean_runs        INTEGER NOT NULL DEFAULT 0,
  resolved_at       TEXT,
  anomaly_json      TEXT    NOT NULL,
  slack_channel     TEXT,
  slack_ts          TEXT,
  notify_count      INTEGER NOT NULL DEFAULT 0,
  -- The outbox id of the latest digest that announced this alert (its message is edited on resolve).
  digest_outbox_id  INTEGER,
  -- 1 when a notification was held back by a snooze: it is sent once the snooze ends.
  suppressed        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alerts_by_check ON alerts (check_name, state);

-- Active until `until`; target is a check name or a fingerprint.
CREATE TABLE IF NOT EXISTS snoozes (
  target      TEXT NOT NULL PRIMARY KEY,
  until       TEXT NOT NULL,
  reason      TEXT,
  created_at  TEXT NOT NULL,
  author      TEXT  -- who snoozed it (added after schema 1: older files get it on first use)
);

-- Every notification, written in the same transaction as the alert state it reports.
CREATE TABLE IF NOT EXISTS outbox (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at    TEXT    NOT NULL,
  run_id        TEXT    NOT NULL,
  destination   TEXT    NOT NULL, -- slack | sheets
  kind          TEXT    NOT NULL, -- slack.digest | slack.update | slack.file | sheets.append
  payload_json  TEXT    NOT NULL,
  depends_on    INTEGER REFERENCES outbox (id), -- waits until this item is sent
  status        TEXT    NOT NULL DEFAULT 'pending', -- pending | sent | dead
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  sent_at       TEXT,
  receipt_json  TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_status ON outbox (status, id);

-- Each Slack digest as last rendered, so it can be re-rendered with resolved alerts marked.
CREATE TABLE IF NOT EXISTS slack_messages (
  outbox_id    INTEGER NOT NULL PRIMARY KEY REFERENCES outbox (id),
  run_id       TEXT    NOT NULL,
  channel      TEXT    NOT NULL,
  ts           TEXT, -- set when the digest is delivered
  alerts_json  TEXT    NOT NULL
);

-- One row per outbox item that was ever attempted, written and committed BEFORE each attempt so
-- that a run killed mid-send leaves the evidence. in_doubt = 1: an attempt may have delivered the
-- item without us knowing (timeout, dropped connection, HTTP 5xx, process killed), so the next
-- attempt looks for it (Slack message metadata) before sending again. See docs/exactly-once.md.
CREATE TABLE IF NOT EXISTS outbox_attempts (
  outbox_id         INTEGER NOT NULL PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
  first_attempt_at  TEXT    NOT NULL, -- bounds the search for an earlier delivery
  last_attempt_at   TEXT    NOT NULL,
  in_doubt          INTEGER NOT NULL DEFAULT 0 -- 0 | 1
);
