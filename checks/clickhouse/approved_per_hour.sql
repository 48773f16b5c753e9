-- ClickHouse twin of checks/approved_per_hour.sql: toStartOfHour instead of strftime.
SELECT toDateTime(toStartOfHour(minute), 'UTC') AS ts, sum(count) AS value
FROM transaction_status
WHERE status = 'approved' AND minute >= :from AND minute < :to
GROUP BY ts
ORDER BY ts
