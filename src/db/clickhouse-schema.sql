-- Data tables built by `anomaly init-db --db clickhouse://…`: the same tables and columns as
-- schema.sql, with ClickHouse types. Timestamps are DateTime('UTC') (they print as the same
-- 'YYYY-MM-DD HH:MM:SS' text SQLite stores), days are Date. `{orders}` stands for the name the
-- statement creates (a `__new` table during a load) and `{engine}` its engine: MergeTree on one server, and on
-- a cluster MergeTree for each shard's `<table>_local` (the Distributed tables are made from these).
-- ClickHouse has no unique keys: init-db checks each loaded file for duplicate keys itself.

CREATE TABLE {countries} (
  country     String,
  country_rn  Int64
) ENGINE = {engine} ORDER BY country;

CREATE TABLE {orders} (
  id            Int64,
  created_date  DateTime('UTC'),
  merchant_id   Int64
) ENGINE = {engine} PARTITION BY toYYYYMM(created_date) ORDER BY (created_date, id);

CREATE TABLE {transactions} (
  id                  Int64,
  created_date        DateTime('UTC'),
  transaction_type    String,
  order_id            Int64,
  transaction_status  String
) ENGINE = {engine} PARTITION BY toYYYYMM(created_date) ORDER BY (created_date, order_id);

CREATE TABLE {payments_aggregate} (
  created_day          Date,
  channel_id           Nullable(Int64),
  order_type           Nullable(String),
  payment_source       Nullable(String),
  merchant_token_type  Nullable(String),
  is_secured           Nullable(UInt8),
  bin_amount_usd       Nullable(String),
  status               Nullable(String),
  error_code           Nullable(String),
  error_message        Nullable(String),
  bank_issuer          Nullable(Int64),
  card_brand           Nullable(String),
  card_type            Nullable(String),
  card_country         Nullable(Int64),
  ip_country           Nullable(Int64),
  invoice_number       Nullable(Int64),
  retry_number         Nullable(String),
  count_orders         Int64,
  count_emails         Nullable(Int64)
) ENGINE = {engine} ORDER BY created_day;

CREATE TABLE {checkout_hourly} (
  source              String,
  hour                DateTime('UTC'),
  today               Nullable(Float64),
  yesterday           Nullable(Float64),
  same_day_last_week  Nullable(Float64),
  avg_last_week       Nullable(Float64),
  avg_last_month      Nullable(Float64)
) ENGINE = {engine} ORDER BY (source, hour);

CREATE TABLE {transaction_status} (
  minute  DateTime('UTC'),
  source  String,
  status  String,
  count   Int64
) ENGINE = {engine} ORDER BY (minute, source, status);

CREATE TABLE {loads} (
  table_name  String,
  file        String,
  source      Nullable(String),
  bytes       Int64,
  rows        Int64,
  sha256      String,
  loaded_at   DateTime('UTC'),
  day         Nullable(String)
) ENGINE = {engine} ORDER BY (table_name, file);

CREATE TABLE {meta} (
  key    String,
  value  String
) ENGINE = {engine} ORDER BY key;
