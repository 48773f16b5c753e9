-- `anomaly init-db --append` on ClickHouse (src/ingest/append-clickhouse.ts): the twin of
-- src/ingest/merge/<table>.sql. ClickHouse 18.16 has no transactional DELETE, so a table an append
-- touches is rebuilt into {new} from the stored rows no new file covers plus the new files' rows,
-- and swapped in with RENAME like a full load. Each new file is first loaded into its own staging
-- table (the same validation and duplicate-key check as a full load), so a bad file changes nothing.
-- {key} is the table's merge key (the columns merge/<table>.sql deletes by); {covered} selects the
-- keys of the files that replace rows of {from} (GLOBAL where {from} may be a Distributed table, so
-- the key set is computed once and sent to the shards). Statements are separated by a `-- name:` line.

-- name: keep
INSERT INTO {new} SELECT * FROM {from} WHERE ({key}) NOT IN ({covered});

-- name: copy
INSERT INTO {new} SELECT * FROM {from};

-- name: replaced
SELECT count() AS n FROM {from} WHERE ({key}) GLOBAL IN ({covered}){and_not};

-- name: keep_loads
INSERT INTO {new} SELECT * FROM {from} WHERE (table_name, file) NOT IN ({covered});
