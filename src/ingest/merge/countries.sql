-- Append: a country in the new file replaces the stored row of the same code.
DELETE FROM main.countries WHERE country IN (SELECT country FROM temp.countries);
INSERT INTO main.countries SELECT * FROM temp.countries;
