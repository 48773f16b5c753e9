-- Append: the aggregate has no key; a day is exported whole, so every day present in the new file
-- replaces all stored rows of that day (a dimension combination missing from the re-export means 0).
DELETE FROM main.payments_aggregate WHERE created_day IN (SELECT DISTINCT created_day FROM temp.payments_aggregate);
INSERT INTO main.payments_aggregate SELECT * FROM temp.payments_aggregate;
