-- Append: a transaction in the new file replaces the stored transaction of the same id.
DELETE FROM main.transactions WHERE id IN (SELECT id FROM temp.transactions);
INSERT INTO main.transactions SELECT * FROM temp.transactions;
