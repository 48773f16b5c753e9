-- The newest value of a source table's time column at or before the evaluation time :at.
-- {table} and {time_column} are replaced by validated identifiers (see src/checks/freshness.ts).
-- Standard SQL (MAX over an indexed column: one index probe), so every engine can run it.
SELECT MAX({time_column}) AS newest
FROM {table}
WHERE {time_column} <= :at
