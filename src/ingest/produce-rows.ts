import type { CsvParser } from './csv-parser.js';
import type { DateParser } from './dates.js';
import { BATCH_ROWS } from './inserter.js';
import { streamRecords } from './read-records.js';
import type { StreamStats } from './read-records.js';
import { RowConverter } from './row-converter.js';
import type { TableSpec } from './tables.js';

/** One file to load into its table. */
export interface LoadTarget {
  spec: TableSpec;
  /** Path to open. */
  path: string;
  /** Path shown in messages. */
  display: string;
  /** The file name stem for per-source tables, else null. */
  source: string | null;
}

export interface LoadResult extends StreamStats {
  rows: number;
}

/** Receives converted rows in batches of BATCH_ROWS (the last one may be shorter). */
export interface RowSink {
  /** `values` holds `count` rows; `lines[i]` is the line of row i. The producer reuses both afterwards unless `keepsBatches`. */
  rows(values: unknown[], count: number, lines: Int32Array): void;
  /** True when the sink keeps the arrays it is given (so each batch needs new ones). */
  readonly keepsBatches: boolean;
}

/** Streams `target` and hands its converted rows to `sink`, batch by batch. */
export async function produceRows(
  target: LoadTarget,
  dates: DateParser,
  sink: RowSink,
  onProgress?: (bytesRead: number) => void,
): Promise<LoadResult> {
  const conv = new RowConverter(target.spec, dates, target.display, target.source);
  const w = conv.width;
  let batch: unknown[] = new Array(BATCH_ROWS * w);
  let lines = new Int32Array(BATCH_ROWS);
  let n = 0;
  let k = 0;
  let rows = 0;
  let parser: CsvParser | undefined;
  const stats = await streamRecords(target.path, {
    display: target.display,
    onProgress,
    parserRef: (p) => (parser = p),
    onRecord: (fields, line, fieldLines) => {
      if (!conv.hasHeader) {
        conv.readHeader(fields, line);
        parser!.columnNames = fields;
        return;
      }
      conv.convert(fields, line, fieldLines, batch, k);
      k += w;
      lines[n++] = line;
      rows++;
      if (n === BATCH_ROWS) {
        sink.rows(batch, n, lines);
        if (sink.keepsBatches) {
          batch = new Array(BATCH_ROWS * w);
          lines = new Int32Array(BATCH_ROWS);
        }
        n = 0;
        k = 0;
      }
    },
  });
  conv.assertHeaderSeen();
  if (n > 0) sink.rows(batch.slice(0, k), n, lines);
  return { ...stats, rows };
}
