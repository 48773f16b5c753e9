-- ClickHouse twin of checks/unfinished_orders.sql (same rows, same order). ClickHouse 18.16 has no
-- WITH … AS (subquery): the per-order pass is a subquery, joined to the merchants of the orders
-- authorised early enough to be due (GLOBAL IN: the id list is made once, also on a cluster); the
-- few unfinished orders are the join's right side, the one held in memory. A missing time is NULL
-- as in SQLite (if(countIf(…) > 0, minIf(…), NULL)).
SELECT merchant_id,
       order_id,
       authorised_at,
       finished_at,
       multiIf(finished_at IS NOT NULL, 'finished late', failed_settles > 0, 'only failed settles', 'never finished') AS problem
FROM (
  -- Orders with a successful auth old enough to be due: a plain filter, cheap beside the grouping.
  SELECT id AS order_id, merchant_id
  FROM orders
  WHERE id GLOBAL IN (
    SELECT order_id
    FROM transactions
    WHERE created_date >= {since:DateTime} AND created_date <= {at:DateTime} - INTERVAL 7 DAY
      AND transaction_type = 'auth' AND transaction_status = 'success'
  )
) AS o
ALL INNER JOIN (
  SELECT order_id,
         toDateTime(auth_min, 'UTC') AS authorised_at,
         if(finishes > 0, toDateTime(finish_min, 'UTC'), NULL) AS finished_at,
         failed_settles
  FROM (
    SELECT order_id,
           minIf(created_date, transaction_type = 'auth' AND transaction_status = 'success') AS auth_min,
           countIf(transaction_type = 'auth' AND transaction_status = 'success') AS auths,
           minIf(created_date, transaction_type IN ('settle', 'void') AND transaction_status = 'success') AS finish_min,
           countIf(transaction_type IN ('settle', 'void') AND transaction_status = 'success') AS finishes,
           countIf(transaction_type = 'settle' AND transaction_status = 'fail') AS failed_settles
    FROM transactions
    WHERE created_date >= {since:DateTime} AND created_date <= {at:DateTime}
    GROUP BY order_id
  )
  WHERE auths > 0
    AND auth_min <= {at:DateTime} - INTERVAL 7 DAY
    AND (finishes = 0 OR finish_min > auth_min + INTERVAL 7 DAY)
) AS p USING order_id
ORDER BY merchant_id, order_id
