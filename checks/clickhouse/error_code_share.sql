-- ClickHouse twin of checks/error_code_share.sql. ClickHouse 18.16 has no WITH … AS (subquery) and
-- joins only on equalities: the day totals join on the day, and each code's history is summed with
-- -If aggregates instead of a self-join on "an earlier day".
SELECT error_code,
       day_declines AS declines,
       {day_start:DateTime} AS window_start,
       {at:DateTime} AS window_end,
       round(100 * day_share, 1) AS share_pct,
       round(100 * trailing, 1) AS trailing_pct,
       round(100 * (day_share - trailing), 1) AS change_pp
FROM (
  WITH (
    SELECT count()
    FROM (
      SELECT created_day
      FROM payments_aggregate
      WHERE status != 'approved' AND error_code IS NOT NULL AND error_code != ''
        AND created_day >= {day:Date} - 14 AND created_day < {day:Date}
      GROUP BY created_day
    )
  ) AS history_days
  SELECT error_code,
         history_days,
         anyIf(n, created_day = {day:Date}) AS day_declines,
         anyIf(share, created_day = {day:Date}) AS day_share,
         sumIf(share, created_day < {day:Date}) / greatest(history_days, 1) AS trailing,
         countIf(created_day = {day:Date}) AS today_rows
  FROM (
    SELECT created_day, error_code, n, n / nullIf(total, 0) AS share
    FROM (
      SELECT created_day, assumeNotNull(error_code) AS error_code, sum(count_orders) AS n
      FROM payments_aggregate
      WHERE status != 'approved' AND error_code IS NOT NULL AND error_code != ''
        AND created_day >= {day:Date} - 14 AND created_day <= {day:Date}
      GROUP BY created_day, error_code
    )
    ALL INNER JOIN (
      SELECT created_day, sum(count_orders) AS total
      FROM payments_aggregate
      WHERE status != 'approved' AND error_code IS NOT NULL AND error_code != ''
        AND created_day >= {day:Date} - 14 AND created_day <= {day:Date}
      GROUP BY created_day
    ) USING created_day
  )
  GROUP BY error_code
)
WHERE today_rows > 0
  AND history_days >= 7 -- no verdict without a week of history
ORDER BY error_code
