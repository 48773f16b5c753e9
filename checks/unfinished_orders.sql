-- Orders authorised (auth success) whose 7-day deadline has passed without a successful settle
-- or void inside it: never finished, finished late, or only failed settles. One row per order.
-- A settle 6 days 23:59:59 after the auth is in time; 7 days and 1 second is late.
-- :at = evaluation time, :since = at - lookback: one pass over that window of transactions
-- (through the created_date index), grouped by order.
WITH per_order AS (
  SELECT order_id,
         MIN(CASE WHEN transaction_type = 'auth' AND transaction_status = 'success' THEN created_date END) AS authorised_at,
         MIN(CASE WHEN transaction_type IN ('settle', 'void') AND transaction_status = 'success' THEN created_date END) AS finished_at,
         SUM(transaction_type = 'settle' AND transaction_status = 'fail') AS failed_settles
  FROM transactions
  WHERE created_date >= :since AND created_date <= :at
  GROUP BY order_id
)
SELECT o.merchant_id,
       p.order_id,
       p.authorised_at,
       p.finished_at,
       CASE
         WHEN p.finished_at IS NOT NULL THEN 'finished late'
         WHEN p.failed_settles > 0 THEN 'only failed settles'
         ELSE 'never finished'
       END AS problem
FROM per_order p
JOIN orders o ON o.id = p.order_id
WHERE p.authorised_at IS NOT NULL
  AND p.authorised_at <= datetime(:at, '-7 days')
  AND (p.finished_at IS NULL OR p.finished_at > datetime(p.authorised_at, '+7 days'))
ORDER BY o.merchant_id, p.order_id
