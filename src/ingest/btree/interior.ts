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

function startPage(pageSize: number, type: number, cells: number, rightChild: number): { page: Buffer; content: number } {
  const page = Buffer.alloc(pageSize);
  page[0] = type;
  putU16(page, 3, cells);
  putU32(page, 8, rightChild);
  return { page, content: pageSize };
}

function finishPage(page: Buffer, content: number): void {
  putU16(page, 5, content === 65536 ? 0 : content);
}

/**
 * A table (rowid) B-tree's interior pages. `leaves[i]` is a leaf's page number and `maxRowids[i]`
 * its largest rowid; the leaves are in rowid order. With one leaf, there is nothing to build: that
 * leaf is the root (the caller places it there).
 */
export function tableInterior(leaves: number[], maxRowids: ArrayLike<number>, root: number, nextPage: number, pageSize: number): InteriorPage[] {
  const out: InteriorPage[] = [];
  let children = leaves;
  let keys: number[] = Array.from(maxRowids);
  // A cell: 2-byte pointer, 4-byte child page number, rowid varint (at most 8 bytes here).
  const perPage = Math.floor((pageSize - 12) / (2 + 4 + 8)) + 1;
  while (children.length > 1) {
    const groups = Math.ceil(children.length / perPage);
    const starts = spread(children.length, groups);
    const up: number[] = [];
    const upKeys: number[] = [];
    for (let g = 0; g < groups; g++) {
      const a = starts[g]!;
      const b = starts[g + 1]! - 1; // the last child: the right-most pointer
      const pageNo = groups === 1 ? root : nextPage++;
      const { page } = startPage(pageSize, INTERIOR_TABLE, b - a, children[b]!);
      let content = pageSize;
      for (let i = a; i < b; i++) {
        const len = 4 + varintLength(keys[i]!);
        content -= len;
        putU32(page, content, children[i]!);
        putVarint(page, content + 4, keys[i]!);
        putU16(page, 12 + 2 * (i - a), content);
      }
      finishPage(page, content);
      out.push({ pageNo, page });
      up.push(pageNo);
      upKeys.push(keys[b]!);
    }
    children = up;
    keys = upKeys;
  }
  return out;
}

/**
 * An index B-tree's interior pages. `leaves` are the leaf page numbers in key order and
 * `separators[i]` the entry (record payload) that sits between leaf i and leaf i + 1: in an index
 * B-tree, interior cells hold entries of their own.
 */
export function indexInterior(leaves: number[], separators: Buffer[], root: number, nextPage: number, pageSize: number): InteriorPage[] {
  if (separators.length !== leaves.length - 1) throw new Error(`index tree: ${leaves.length} leaves but ${separators.length} separators`);
  const out: InteriorPage[] = [];
  let children = leaves;
  let seps = separators;
  while (children.length > 1) {
    const widest = seps.reduce((m, s) => Math.max(m, s.length), 0);
    // A cell: 2-byte pointer, 4-byte child, payload length varint, payload.
    const perPage = Math.floor((pageSize - 12) / (2 + 4 + varintLength(widest) + widest)) + 1;
    if (perPage < 4) throw new Error('index entries too wide for the direct writer');
    const groups = Math.ceil(children.length / perPage);
    const starts = spread(children.length, groups);
    const up: number[] = [];
    const upSeps: Buffer[] = [];
    for (let g = 0; g < groups; g++) {
      const a = starts[g]!;
      const b = starts[g + 1]! - 1;
      const pageNo = groups === 1 ? root : nextPage++;
      const { page } = startPage(pageSize, INTERIOR_INDEX, b - a, children[b]!);
      let content = pageSize;
      for (let i = a; i < b; i++) {
        const sep = seps[i]!;
        const len = 4 + varintLength(sep.length) + sep.length;
        content -= len;
        putU32(page, content, children[i]!);
        sep.copy(page, putVarint(page, content + 4, sep.length));
        putU16(page, 12 + 2 * (i - a), content);
      }
      finishPage(page, content);
      out.push({ pageNo, page });
      up.push(pageNo);
      if (g < groups - 1) upSeps.push(seps[b]!);
    }
    children = up;
    seps = upSeps;
  }
  return out;
}
