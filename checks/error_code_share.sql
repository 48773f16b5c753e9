-- Share of each error code among the day's declines vs its average share over the 14 days before
-- (a day without the code counts as 0 %). Needs at least 7 days of history.
WITH daily AS (
  SELECT created_day, error_code, SUM(count_orders) AS n
  FROM payments_aggregate
  WHERE status <> 'approved' AND error_code IS NOT NULL AND error_code <> ''
    AND created_day >= date(:day, '-14 days') AND created_day <= :day
  GROUP BY created_day, error_code
),
totals AS (
  SELECT created_day, SUM(n) AS total FROM daily GROUP BY created_day
),
shares AS (
  SELECT d.created_day, d.error_code, d.n, d.n * 1.0 / t.total AS share
  FROM daily d JOIN totals t ON t.created_day = d.created_day
),
history_days AS (
  SELECT COUNT(*) AS days FROM totals WHERE created_day < :day
)
SELECT s.error_code,
       s.n AS declines,
       :day_start AS window_start,
       :at AS window_end,
       ROUND(100 * s.share, 1) AS share_pct,
       ROUND(100 * COALESCE(SUM(h.share), 0) / MAX((SELECT days FROM history_days), 1), 1) AS trailing_pct,
       ROUND(100 * (s.share - COALESCE(SUM(h.share), 0) / MAX((SELECT days FROM history_days), 1)), 1) AS change_pp
FROM shares s
LEFT JOIN shares h ON h.error_code = s.error_code AND h.created_day < s.created_day
WHERE s.created_day = :day
  AND (SELECT days FROM history_days) >= 7 -- no verdict without a week of history
GROUP BY s.error_code, s.n, s.share
ORDER BY s.error_code
