import { INTERIOR_INDEX, INTERIOR_TABLE, putU16, putU32, putVarint, varintLength } from './format.js';

/**
 * The interior pages above a row of leaves, built level by level once every leaf is known: each
 * level's children are spread evenly over as few pages as hold them, so every interior page has
 * cells and every leaf is at the same depth. The top page is written at the tree's root page (the
 * page number sqlite_schema holds); the others get page numbers from `nextPage` on.
 */

export interface InteriorPage {
  pageNo: number;
  page: Buffer;
}

/** Splits `n` children into `groups` runs of nearly equal length: the start of each, and n at the end. */
function spread(n: number, groups: number): number[] {
  const starts: number[] = [];
  for (let g = 0; g <= groups; g++) starts.push(Math.floor((g * n) / groups));
  return starts;
}

/** How one kind of interior page holds a (child page, key) cell. */
interface CellKind<K> {
  type: number;
  /** Bytes of the cell holding `key` (its 2-byte pointer not counted). */
  size(key: K): number;
  write(page: Buffer, at: number, child: number, key: K): void;
}

/** Table interior cell: child page number, then the largest rowid under it. */
const TABLE_CELL: CellKind<number> = {
  type: INTERIOR_TABLE,
  size: (rowid) => 4 + varintLength(rowid),
  write(page, at, child, rowid) {
    putU32(page, at, child);
    putVarint(page, at + 4, rowid);
  },
};

/** Index interior cell: child page number, then an entry of its own (payload length, payload). */
const INDEX_CELL: CellKind<Buffer> = {
  type: INTERIOR_INDEX,
  size: (entry) => 4 + varintLength(entry.length) + entry.length,
  write(page, at, child, entry) {
    putU32(page, at, child);
    entry.copy(page, putVarint(page, at + 4, entry.length));
  },
};

/**
 * The levels above `children`, where `keys[i]` goes with child i (the cell of child i holds it);
 * each page's last child is its right-most pointer, and that child's key (when there is one) goes
 * up with the page.
 */
function levels<K>(cell: CellKind<K>, children: number[], keys: K[], root: number, nextPage: number, pageSize: number): InteriorPage[] {
  const out: InteriorPage[] = [];
  while (children.length > 1) {
    const widest = keys.reduce((m, k) => Math.max(m, cell.size(k)), 0);
    const perPage = Math.floor((pageSize - 12) / (2 + widest)) + 1;
    if (perPage < 4) throw new Error('keys too wide for the direct writer');
    const groups = Math.ceil(children.length / perPage);
    const starts = spread(children.length, groups);
    const up: number[] = [];
    const upKeys: K[] = [];
    for (let g = 0; g < groups; g++) {
      const a = starts[g]!;
      const b = starts[g + 1]! - 1; // the last child: the right-most pointer
      const pageNo = groups === 1 ? root : nextPage++;
      const page = Buffer.alloc(pageSize);
      page[0] = cell.type;
      putU16(page, 3, b - a);
      putU32(page, 8, children[b]!);
      let content = pageSize;
      for (let i = a; i < b; i++) {
        content -= cell.size(keys[i]!);
        cell.write(page, content, children[i]!, keys[i]!);
        putU16(page, 12 + 2 * (i - a), content);
      }
      putU16(page, 5, content === 65536 ? 0 : content);
      out.push({ pageNo, page });
      up.push(pageNo);
      if (b < keys.length) upKeys.push(keys[b]!);
    }
    children = up;
    keys = upKeys;
  }
  return out;
}

/**
 * A table (rowid) B-tree's interior pages. `leaves[i]` is a leaf's page number and `maxRowids[i]`
 * its largest rowid; the leaves are in rowid order. With one leaf, there is nothing to build: that
 * leaf is the root (the caller places it there).
 */
export function tableInterior(leaves: number[], maxRowids: ArrayLike<number>, root: number, nextPage: number, pageSize: number): InteriorPage[] {
  return levels(TABLE_CELL, leaves, Array.from(maxRowids), root, nextPage, pageSize);
}

/**
 * An index B-tree's interior pages. `leaves` are the leaf page numbers in key order and
 * `separators[i]` the entry (record payload) that sits between leaf i and leaf i + 1: in an index
 * B-tree, interior cells hold entries of their own.
 */
export function indexInterior(leaves: number[], separators: Buffer[], root: number, nextPage: number, pageSize: number): InteriorPage[] {
  if (separators.length !== leaves.length - 1) throw new Error(`index tree: ${leaves.length} leaves but ${separators.length} separators`);
  return levels(INDEX_CELL, leaves, separators, root, nextPage, pageSize);
}
