-- Data tables built by `anomaly init-db`. Every timestamp is UTC text 'YYYY-MM-DD HH:MM:SS'
-- (naive CSV times are read as wall-clock time in ANOMALY_TZ and converted).
-- Indexes are created after the rows are loaded (see indexes.sql): it is faster.

CREATE TABLE countries (
  country     TEXT    NOT NULL PRIMARY KEY,
  country_rn  INTEGER NOT NULL
);

CREATE TABLE orders (
  id            INTEGER NOT NULL PRIMARY KEY,
  created_date  TEXT    NOT NULL,
  merchant_id   INTEGER NOT NULL
);

CREATE TABLE transactions (
  id                  INTEGER NOT NULL PRIMARY KEY,
  created_date        TEXT    NOT NULL,
  transaction_type    TEXT    NOT NULL, -- auth | settle | void | refund
  order_id            INTEGER NOT NULL,
  transaction_status  TEXT    NOT NULL  -- success | fail
);

-- The daily payments aggregate (test_aggregate_data in the original tool).
CREATE TABLE payments_aggregate (
  created_day          TEXT    NOT NULL, -- YYYY-MM-DD
  channel_id           INTEGER,
  order_type           TEXT,
  payment_source       TEXT,
  merchant_token_type  TEXT,
  is_secured           INTEGER,          -- 0 / 1
  bin_amount_usd       TEXT,
  status               TEXT,
  error_code           TEXT,
  error_message        TEXT,
  bank_issuer          INTEGER,
  card_brand           TEXT,
  card_type            TEXT,
  card_country         INTEGER,
  ip_country           INTEGER,
  invoice_number       INTEGER,
  retry_number         TEXT,
  count_orders         INTEGER NOT NULL,
  count_emails         INTEGER
);

-- Hourly POS sales, one row per source and hour; `hour` is the start of the hour (UTC).
CREATE TABLE checkout_hourly (
  source              TEXT NOT NULL,
  hour                TEXT NOT NULL,
  today               REAL,
  yesterday           REAL,
  same_day_last_week  REAL,
  avg_last_week       REAL,
  avg_last_month      REAL,
  PRIMARY KEY (source, hour)
) WITHOUT ROWID;

-- Per-minute transaction counts by status; a missing (minute, status) row means zero.
CREATE TABLE transaction_status (
  minute  TEXT    NOT NULL,
  source  TEXT    NOT NULL,
  status  TEXT    NOT NULL,
  count   INTEGER NOT NULL,
  PRIMARY KEY (minute, source, status)
) WITHOUT ROWID;

-- What was loaded, when, from which file.
CREATE TABLE loads (
  table_name  TEXT    NOT NULL,
  file        TEXT    NOT NULL,
  source      TEXT,
  bytes       INTEGER NOT NULL,
  rows        INTEGER NOT NULL,
  sha256      TEXT    NOT NULL,
  loaded_at   TEXT    NOT NULL,
  day         TEXT,
  PRIMARY KEY (table_name, file)
);

CREATE TABLE meta (
  key    TEXT NOT NULL PRIMARY KEY,
  value  TEXT NOT NULL
);
