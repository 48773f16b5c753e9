-- Append: a minute of a source in the new file replaces every stored row of that source and minute.
-- A missing (minute, status) row means zero, so a status the re-export no longer lists for a
-- minute it covers is removed rather than kept with its old count.
DELETE FROM main.transaction_status WHERE (minute, source) IN (SELECT DISTINCT minute, source FROM temp.transaction_status);
INSERT INTO main.transaction_status SELECT * FROM temp.transaction_status;
