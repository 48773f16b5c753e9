-- Hourly order counts computed from the raw orders table, in the shape the baseline check reads:
-- today, yesterday, same day last week, and the averages of the last 7 and 28 days, per hour.
-- Days before the first order are unknown (NULL), not zero: the first weeks of data are judged
-- only against the days that exist.
WITH RECURSIVE hours(h) AS (
  SELECT :day_start
  UNION ALL
  SELECT datetime(h, '+1 hour') FROM hours WHERE datetime(h, '+1 hour') < :day_end
),
first AS (
  SELECT date(MIN(created_date)) AS day FROM orders
),
counts AS (
  SELECT strftime('%Y-%m-%d %H:00:00', created_date) AS hour, COUNT(*) AS n
  FROM orders
  WHERE created_date >= datetime(:day_start, '-28 days') AND created_date < :day_end
  GROUP BY 1
),
history AS (
  SELECT h.h,
         CAST(julianday(h.h) - julianday((SELECT day FROM first)) AS INTEGER) AS days_before
  FROM hours h
)
SELECT 'orders' AS source,
       h.h AS hour,
       COALESCE(SUM(CASE WHEN c.hour = h.h THEN c.n END), 0) AS today,
       CASE WHEN h.days_before >= 1 THEN COALESCE(SUM(CASE WHEN c.hour = datetime(h.h, '-1 day') THEN c.n END), 0) END AS yesterday,
       CASE WHEN h.days_before >= 7 THEN COALESCE(SUM(CASE WHEN c.hour = datetime(h.h, '-7 days') THEN c.n END), 0) END AS same_day_last_week,
       COALESCE(SUM(CASE WHEN c.hour >= datetime(h.h, '-7 days') AND c.hour < h.h THEN c.n END), 0) * 1.0
         / NULLIF(MIN(h.days_before, 7), 0) AS avg_last_week,
       COALESCE(SUM(CASE WHEN c.hour >= datetime(h.h, '-28 days') AND c.hour < h.h THEN c.n END), 0) * 1.0
         / NULLIF(MIN(h.days_before, 28), 0) AS avg_last_month
FROM history h
LEFT JOIN counts c ON substr(c.hour, 12, 2) = substr(h.h, 12, 2)
GROUP BY h.h, h.days_before
ORDER BY h.h
