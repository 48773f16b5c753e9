-- Append: an order in the new file replaces the stored order of the same id.
DELETE FROM main.orders WHERE id IN (SELECT id FROM temp.orders);
INSERT INTO main.orders SELECT * FROM temp.orders;
