-- Example `metric` check: approved transactions per hour (ts = start of the hour, value = count)
-- for :from <= ts < :to. Add a `series` column to watch several series with one query.
SELECT strftime('%Y-%m-%d %H:00:00', minute) AS ts, SUM(count) AS value
FROM transaction_status
WHERE status = 'approved' AND minute >= :from AND minute < :to
GROUP BY 1
ORDER BY 1
