-- Per-minute counts by status (all sources together) for :from <= minute < :to.
SELECT minute, status, SUM(count) AS count
FROM transaction_status
WHERE minute >= :from AND minute < :to
GROUP BY minute, status
