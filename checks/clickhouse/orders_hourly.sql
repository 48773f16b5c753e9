-- ClickHouse twin of checks/orders_hourly.sql (same columns and values). The hours of the day come
-- from arrayJoin instead of a recursive CTE, and the ≤ 29 days × 24 hourly counts are one array
-- (a scalar subquery) that each hour sums from, instead of a join on the hour of day.
SELECT source, hour, today, yesterday, same_day_last_week, avg_last_week, avg_last_month
FROM (
  WITH
    -- SQLite's first day is min(created_date) of all orders; only whether it lies 28 days or more
    -- before the day matters (days_before is used capped at 28), so orders older than that are only
    -- probed for (LIMIT 1), not scanned: orders are sorted by time, not by anything min() could use.
    (SELECT count() FROM (SELECT 1 FROM orders WHERE created_date < {day_start:DateTime} - INTERVAL 28 DAY LIMIT 1)) AS older_orders,
    (SELECT toDate(min(created_date)) FROM orders WHERE created_date >= {day_start:DateTime} - INTERVAL 28 DAY) AS first_recent_day,
    if(older_orders > 0, toDate({day_start:DateTime} - INTERVAL 28 DAY), first_recent_day) AS first_day,
    (
      SELECT groupArray((toUInt32(hour), n))
      FROM (
        SELECT toStartOfHour(created_date) AS hour, count() AS n
        FROM orders
        WHERE created_date >= {day_start:DateTime} - INTERVAL 28 DAY AND created_date < {day_end:DateTime}
        GROUP BY hour
      )
    ) AS counts
  SELECT 'orders' AS source,
         toDateTime(h, 'UTC') AS hour,
         intDiv(toInt64(h) - toInt64(toUInt32(toDateTime(first_day, 'UTC'))), 86400) AS days_before,
         arraySum(arrayMap(c -> if(c.1 = h, c.2, 0), counts)) AS today,
         if(days_before >= 1, arraySum(arrayMap(c -> if(c.1 = h - 86400, c.2, 0), counts)), NULL) AS yesterday,
         if(days_before >= 7, arraySum(arrayMap(c -> if(c.1 = h - 7 * 86400, c.2, 0), counts)), NULL) AS same_day_last_week,
         arraySum(arrayMap(c -> if(c.1 >= h - 7 * 86400 AND c.1 < h AND (h - c.1) % 86400 = 0, c.2, 0), counts))
           / nullIf(least(days_before, 7), 0) AS avg_last_week,
         arraySum(arrayMap(c -> if(c.1 >= h - 28 * 86400 AND c.1 < h AND (h - c.1) % 86400 = 0, c.2, 0), counts))
           / nullIf(least(days_before, 28), 0) AS avg_last_month
  FROM (
    SELECT arrayJoin(arrayMap(i -> toUInt32({day_start:DateTime}) + i * 3600,
                              range(toUInt32((toUInt32({day_end:DateTime}) - toUInt32({day_start:DateTime})) / 3600)))) AS h
  )
)
ORDER BY hour
