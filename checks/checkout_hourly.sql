-- Hourly POS sales for the evaluation day, as exported (one file per source).
SELECT source, hour, today, yesterday, same_day_last_week, avg_last_week, avg_last_month
FROM checkout_hourly
WHERE hour >= :day_start AND hour < :day_end
ORDER BY source, hour
