import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateParser } from '../src/ingest/dates.js';
import { produceRows } from '../src/ingest/produce-rows.js';
import type { LoadTarget, RowSink } from '../src/ingest/produce-rows.js';
import { RowConverter } from '../src/ingest/row-converter.js';
import { TRANSACTIONS } from '../src/ingest/tables.js';
import { readTypedRows } from '../src/ingest/typed-rows.js';

/**
 * The parser decision in figures (docs/benchmarks.md): the same transactions.csv turned into typed,
 * validated rows (what the loader inserts) by
 *   csv-parse   csv-parse's stream parser with its fastest options, then RowConverter
 *   hand        CsvParser (the hand-written text parser) + RowConverter
 *   byte        the per-table byte parser (byte-records.ts + typed-rows.ts)
 * plus csv-parse splitting records only (no conversion), as a floor for any csv-parse route.
 * One thread, nothing inserted. Each parser runs `runs` times, alternating; the best run counts.
 *   node dist/scripts/bench-parsers.js <transactions.csv> [runs=2]
 */

export interface ParserFigure {
  name: string;
  rowsPerSec: number;
  seconds: number;
}

const noSink: RowSink = { keepsBatches: false, rows: () => {} };

async function viaCsvParse(target: LoadTarget, dates: DateParser, convert: boolean): Promise<number> {
  const conv = new RowConverter(target.spec, dates, target.display, null);
  const out = new Array<unknown>(conv.width);
  let rows = 0;
  let line = 0;
  // Fastest options: no casting, no column mapping, no info, no trimming; BOM off (none here).
  const parser = createReadStream(target.path, { highWaterMark: 1 << 20 }).pipe(parse({ relax_column_count: true }));
  for await (const record of parser as AsyncIterable<string[]>) {
    line++;
    if (!convert) {
      rows++;
      continue;
    }
    if (!conv.hasHeader) conv.readHeader(record, line);
    else {
      conv.convert(record, line, undefined, out, 0);
      rows++;
    }
  }
  return convert ? rows : rows - 1;
}

export async function benchParsers(path: string, runs = 2): Promise<ParserFigure[]> {
  const target: LoadTarget = { spec: TRANSACTIONS, path, display: path, source: null };
  const dates = () => new DateParser('UTC', '2023-05-01');
  const parsers: [string, () => Promise<number>][] = [
    ['csv-parse (split only)', () => viaCsvParse(target, dates(), false)],
    ['csv-parse + RowConverter', () => viaCsvParse(target, dates(), true)],
    ['hand (CsvParser + RowConverter)', async () => (await produceRows(target, dates(), noSink)).rows],
    ['byte (typed-rows.ts)', async () => (await readTypedRows(target, dates(), noSink)).rows],
  ];
  const best = new Map<string, { seconds: number; rows: number }>();
  for (let run = 0; run < runs; run++) {
    for (const [name, go] of parsers) {
      const started = performance.now();
      const rows = await go();
      const seconds = (performance.now() - started) / 1000;
      const prev = best.get(name);
      if (!prev || seconds < prev.seconds) best.set(name, { seconds, rows });
    }
  }
  return parsers.map(([name]) => {
    const b = best.get(name)!;
    return { name, seconds: b.seconds, rowsPerSec: b.rows / b.seconds };
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const path = process.argv[2];
  if (!path) {
    console.error('usage: node dist/scripts/bench-parsers.js <transactions.csv> [runs=2]');
    process.exit(64);
  }
  for (const f of await benchParsers(path, Number(process.argv[3] ?? 2))) {
    console.log(`${f.name.padEnd(34)} ${Math.round(f.rowsPerSec).toLocaleString('en-US').padStart(10)} rows/s (${f.seconds.toFixed(2)} s)`);
  }
}
