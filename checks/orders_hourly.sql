-- Hourly order counts computed from the raw orders table, in the shape the baseline check reads:
-- today, yesterday, same day last week, and the averages of the last 7 and 28 days, per hour.
WITH RECURSIVE hours(h) AS (
  SELECT :day_start
  UNION ALL
  SELECT datetime(h, '+1 hour') FROM hours WHERE datetime(h, '+1 hour') < :day_end
),
counts AS (
  SELECT strftime('%Y-%m-%d %H:00:00', created_date) AS hour, COUNT(*) AS n
  FROM orders
  WHERE created_date >= datetime(:day_start, '-28 days') AND created_date < :day_end
  GROUP BY 1
)
SELECT 'orders' AS source,
       h.h AS hour,
       COALESCE(SUM(CASE WHEN c.hour = h.h THEN c.n END), 0) AS today,
       COALESCE(SUM(CASE WHEN c.hour = datetime(h.h, '-1 day') THEN c.n END), 0) AS yesterday,
       COALESCE(SUM(CASE WHEN c.hour = datetime(h.h, '-7 days') THEN c.n END), 0) AS same_day_last_week,
       COALESCE(SUM(CASE WHEN c.hour >= datetime(h.h, '-7 days') AND c.hour < h.h THEN c.n END), 0) / 7.0 AS avg_last_week,
       COALESCE(SUM(CASE WHEN c.hour >= datetime(h.h, '-28 days') AND c.hour < h.h THEN c.n END), 0) / 28.0 AS avg_last_month
FROM hours h
LEFT JOIN counts c ON substr(c.hour, 12, 2) = substr(h.h, 12, 2)
GROUP BY h.h
ORDER BY h.h
