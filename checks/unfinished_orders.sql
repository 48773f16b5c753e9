-- Orders authorised (auth success) whose 7-day deadline has passed without a successful settle
-- or void inside it: never finished, finished late, or only failed settles. One row per order.
-- A settle 6 days 23:59:59 after the auth is in time; 7 days and 1 second is late.
-- :at = evaluation time, :since = at - lookback (keeps the scan bounded through the index).
WITH auths AS (
  SELECT order_id, MIN(created_date) AS authorised_at
  FROM transactions
  WHERE transaction_type = 'auth'
    AND transaction_status = 'success'
    AND created_date >= :since
    AND created_date <= datetime(:at, '-7 days')
  GROUP BY order_id
),
outcome AS (
  SELECT a.order_id,
         a.authorised_at,
         (SELECT MIN(f.created_date) FROM transactions f
           WHERE f.order_id = a.order_id AND f.transaction_type IN ('settle', 'void')
             AND f.transaction_status = 'success' AND f.created_date <= :at) AS finished_at,
         (SELECT COUNT(*) FROM transactions f
           WHERE f.order_id = a.order_id AND f.transaction_type = 'settle'
             AND f.transaction_status = 'fail' AND f.created_date <= :at) AS failed_settles
  FROM auths a
)
SELECT o.merchant_id,
       x.order_id,
       x.authorised_at,
       x.finished_at,
       CASE
         WHEN x.finished_at IS NOT NULL THEN 'finished late'
         WHEN x.failed_settles > 0 THEN 'only failed settles'
         ELSE 'never finished'
       END AS problem
FROM outcome x
JOIN orders o ON o.id = x.order_id
WHERE x.finished_at IS NULL
   OR x.finished_at > datetime(x.authorised_at, '+7 days')
ORDER BY o.merchant_id, x.order_id
