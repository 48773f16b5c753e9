import { getVarint, intBytes, intSerialType, LEAF_INDEX, putDateTime, putInt } from './format.js';
import type { IndexLayout } from './layout.js';
import { LeafPage, PageFile } from './pages.js';
import type { Placement } from './pages.js';
import { mergeRuns } from './runs.js';
import type { RunInfo } from './runs.js';

/**
 * Phase 2 of a direct load, one index per thread: the index's sorted runs merged into leaf pages
 * of index entries (the record [key, rowid]), written to a scratch file. In an index B-tree the
 * interior pages hold entries too: the entry after each full leaf is kept out of the leaves as the
 * separator between that leaf and the next (interior.ts places them). The last entry always ends
 * up in a leaf, so no leaf is empty.
 */

export interface IndexLeaves {
  pages: number;
  /** separators[i]: the entry (record payload) between leaf i and leaf i + 1. */
  separators: Buffer[];
  entries: number;
}

/** Writes the cell of entry [key, rowid] (payload length, then the record) at `at`; returns its end. */
function putEntry(buf: Uint8Array, at: number, datetime: boolean, key: number, rowid: number, payload: number, keyType: number, rowidType: number): number {
  buf[at] = payload; // < 128: at most 3 + 19 + 8 bytes
  buf[at + 1] = 3;
  buf[at + 2] = keyType;
  buf[at + 3] = rowidType;
  at += 4;
  if (datetime) {
    putDateTime(buf, at, key);
    at += 19;
  } else at = putInt(buf, at, key, intBytes(keyType));
  return putInt(buf, at, rowid, intBytes(rowidType));
}

/**
 * Merges `runs` into the index's leaf pages, written to `path` (a new scratch file, or the
 * database itself where `place` says).
 */
export function writeIndexLeaves(ix: IndexLayout, runs: RunInfo[], path: string, pageSize: number, place?: Placement): IndexLeaves {
  const total = runs.reduce((s, r) => s + r.count, 0);
  const out = new PageFile(path, pageSize, place);
  const leaf = new LeafPage(LEAF_INDEX, pageSize, out);
  const separators: Buffer[] = [];
  const datetime = ix.key === 'datetime';
  let seen = 0;
  try {
    mergeRuns(runs, (key, rowid) => {
      // The record: header [length 3, key type, rowid type], then the key and the rowid.
      const keyType = datetime ? 13 + 2 * 19 : intSerialType(key);
      const rowidType = intSerialType(rowid);
      const payload = 3 + (datetime ? 19 : intBytes(keyType)) + intBytes(rowidType);
      const length = 1 + payload;
      seen++;
      if (leaf.fits(length)) {
        putEntry(leaf.page, leaf.reserve(length), datetime, key, rowid, payload, keyType, rowidType);
      } else if (seen < total) {
        // This entry separates the full leaf from the next one, which the next entry starts.
        const entry = Buffer.alloc(length);
        putEntry(entry, 0, datetime, key, rowid, payload, keyType, rowidType);
        separators.push(entry.subarray(1));
        leaf.flush();
      } else {
        // The last entry cannot be a separator (no leaf would follow): the full leaf's last entry is.
        const popped = leaf.popLast();
        separators.push(popped.subarray(getVarint(popped, 0)[1]));
        leaf.flush();
        putEntry(leaf.page, leaf.reserve(length), datetime, key, rowid, payload, keyType, rowidType);
      }
    });
    if (seen !== total) throw new Error(`index ${ix.name}: merged ${seen} of ${total} entries`);
    if (leaf.cells > 0) leaf.flush();
  } finally {
    out.close();
  }
  return { pages: out.pages, separators, entries: total };
}
