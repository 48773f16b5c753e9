-- ClickHouse twin of freshness.sql: a Date column (payments_aggregate.created_day) does not compare
-- with a 'YYYY-MM-DD HH:MM:SS' string, so both sides become DateTime. The MAX of no rows is the
-- type's zero value (1970-01-01), which the caller reads as "no rows".
SELECT toString(MAX({time_column})) AS newest
FROM {table}
WHERE toDateTime({time_column}) <= toDateTime(:at)
