-- Append: an hour of a source in the new file replaces the stored row of that source and hour.
DELETE FROM main.checkout_hourly WHERE (source, hour) IN (SELECT source, hour FROM temp.checkout_hourly);
INSERT INTO main.checkout_hourly SELECT * FROM temp.checkout_hourly;
