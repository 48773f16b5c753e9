-- Approval rate per card brand on the evaluation day vs its average over the 14 days before.
WITH daily AS (
  SELECT created_day,
         card_brand,
         SUM(CASE WHEN status = 'approved' THEN count_orders ELSE 0 END) * 1.0 / SUM(count_orders) AS rate,
         SUM(count_orders) AS orders
  FROM payments_aggregate
  WHERE created_day >= date(:day, '-14 days') AND created_day <= :day
  GROUP BY created_day, card_brand
)
SELECT t.card_brand,
       t.orders,
       :day_start AS window_start,
       :at AS window_end,
       ROUND(100 * t.rate, 1) AS approval_pct,
       ROUND(100 * AVG(h.rate), 1) AS trailing_pct,
       ROUND(100 * (t.rate - AVG(h.rate)), 1) AS change_pp
FROM daily t
JOIN daily h ON h.card_brand = t.card_brand AND h.created_day < t.created_day
WHERE t.created_day = :day
  AND t.orders >= 50
GROUP BY t.card_brand, t.orders, t.rate
HAVING COUNT(h.rate) >= 7 -- no verdict without a week of history
ORDER BY t.card_brand
