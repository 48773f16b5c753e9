-- ClickHouse twin of checks/approval_rate_by_brand.sql. The self-join on "an earlier day" (ClickHouse
-- 18.16 joins only on equalities) becomes one pass per brand with -If aggregates over the days.
-- A brand of NULL never matches itself in the SQLite join, so it is left out here too.
SELECT card_brand,
       day_orders AS orders,
       {day_start:DateTime} AS window_start,
       {at:DateTime} AS window_end,
       round(100 * day_rate, 1) AS approval_pct,
       round(100 * trailing, 1) AS trailing_pct,
       round(100 * (day_rate - trailing), 1) AS change_pp
FROM (
  SELECT card_brand,
         anyIf(orders, created_day = {day:Date}) AS day_orders,
         anyIf(rate, created_day = {day:Date}) AS day_rate,
         avgIf(rate, created_day < {day:Date}) AS trailing,
         countIf(created_day = {day:Date}) AS today_rows,
         countIf(created_day < {day:Date} AND rate IS NOT NULL) AS history_days
  FROM (
    SELECT created_day,
           card_brand,
           sumIf(count_orders, status = 'approved') / nullIf(sum(count_orders), 0) AS rate,
           sum(count_orders) AS orders
    FROM payments_aggregate
    WHERE created_day >= {day:Date} - 14 AND created_day <= {day:Date} AND card_brand IS NOT NULL
    GROUP BY created_day, card_brand
  )
  GROUP BY card_brand
)
WHERE today_rows > 0
  AND day_orders >= 50
  AND history_days >= 7 -- no verdict without a week of history
ORDER BY card_brand
