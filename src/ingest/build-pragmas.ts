import Database from 'better-sqlite3';

/**
 * Opens a database file that init-db builds and nobody else reads yet (the temp database, a part
 * file of a parallel load), set up for speed: nothing needs crash safety inside it, since a crash
 * just leaves a stale temp file and any error discards the whole file.
 */
export function openBuildDb(path: string, maxPageCount?: number): Database.Database {
  const db = new Database(path);
  try {
    if (maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.floor(maxPageCount)}`);
    // Bigger pages: fewer B-tree pages to split and write per row (takes effect on a new file).
    db.pragma('page_size = 16384');
    journalOff(db);
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    // Index sorts spill to temporary files instead of memory, and a small page cache (which also
    // bounds the sorter's memory) keeps RSS flat for big files at no measurable cost in speed; 4 MiB
    // a connection, as a parallel load has two of them.
    db.pragma('temp_store = FILE');
    db.pragma('cache_size = -4096');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** No rollback journal for `schema`: better-sqlite3's defensive mode silently refuses that, so it is lifted for that one statement. */
export function journalOff(db: Database.Database, schema = 'main'): void {
  db.unsafeMode(true);
  db.pragma(`${schema}.journal_mode = OFF`);
  db.unsafeMode(false);
}
