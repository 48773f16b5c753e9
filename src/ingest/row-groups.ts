/**
 * A compact, transferable form for groups of rows sent from the parser thread to the inserting
 * thread. Structured-cloning arrays of JS values costs the receiver about as much as parsing the
 * CSV itself; this form costs it almost nothing: each cell is a tag plus a number — the value, the
 * code of a short string in a shared dictionary (enums, statuses, sources), or the end offset of a
 * longer string (dates) in one text blob the receiver slices.
 */

const NUMBER = 0;
const NULL = 1;
const DICT = 2;
const TEXT = 3;
const DICT_MAX_LENGTH = 16;
const DICT_MAX_SIZE = 65_536;

export interface RowGroup {
  count: number;
  width: number;
  tags: Uint8Array;
  nums: Float64Array;
  text: string;
  /** Strings added to the dictionary by this group, in code order. */
  dictAdds: string[];
  lines: Int32Array;
}

export class RowGroupEncoder {
  private readonly dict = new Map<string, number>();
  private group!: RowGroup;
  private cell = 0;
  private textLength = 0;

  constructor(
    private readonly width: number,
    private readonly capacity: number,
  ) {
    this.reset();
  }

  get count(): number {
    return this.group.count;
  }

  /** Appends `rows` rows of `values`; `lines[i]` is the line of row i. */
  add(values: readonly unknown[], rows: number, lines: Int32Array): void {
    const g = this.group;
    const { tags, nums } = g;
    const cells = rows * this.width;
    let cell = this.cell;
    for (let i = 0; i < cells; i++, cell++) {
      const v = values[i];
      if (typeof v === 'number') {
        tags[cell] = NUMBER;
        nums[cell] = v;
      } else if (v === null || v === undefined) {
        tags[cell] = NULL;
      } else {
        const s = v as string;
        if (s.length <= DICT_MAX_LENGTH) {
          let code = this.dict.get(s);
          if (code === undefined && this.dict.size < DICT_MAX_SIZE) {
            code = this.dict.size;
            this.dict.set(s, code);
            g.dictAdds.push(s);
          }
          if (code !== undefined) {
            tags[cell] = DICT;
            nums[cell] = code;
            continue;
          }
        }
        tags[cell] = TEXT;
        g.text += s;
        this.textLength += s.length;
        nums[cell] = this.textLength;
      }
    }
    this.cell = cell;
    g.lines.set(lines.subarray(0, rows), g.count);
    g.count += rows;
  }

  /** The group so far (its buffers may be transferred), and a fresh one started. */
  take(): RowGroup {
    const g = this.group;
    this.reset();
    return g;
  }

  private reset(): void {
    const cells = this.capacity * this.width;
    this.group = {
      count: 0,
      width: this.width,
      tags: new Uint8Array(cells),
      nums: new Float64Array(cells),
      text: '',
      dictAdds: [],
      lines: new Int32Array(this.capacity),
    };
    this.cell = 0;
    this.textLength = 0;
  }
}

export class RowGroupDecoder {
  private readonly dict: string[] = [];

  /** Calls `onBatch` with the group's rows, `batchRows` at a time (the last batch may be shorter). */
  decode(g: RowGroup, batchRows: number, onBatch: (values: unknown[], rows: number, lines: Int32Array, from: number) => void): void {
    for (const s of g.dictAdds) this.dict.push(s);
    const { tags, nums, text, width } = g;
    const dict = this.dict;
    let cell = 0;
    let textPos = 0;
    const full = new Array<unknown>(batchRows * width);
    for (let r0 = 0; r0 < g.count; r0 += batchRows) {
      const rows = Math.min(batchRows, g.count - r0);
      const cells = rows * width;
      const values = rows === batchRows ? full : new Array<unknown>(cells);
      for (let i = 0; i < cells; i++, cell++) {
        const tag = tags[cell];
        if (tag === NUMBER) values[i] = nums[cell];
        else if (tag === NULL) values[i] = null;
        else if (tag === DICT) values[i] = dict[nums[cell]!];
        else {
          const end = nums[cell]!;
          values[i] = text.substring(textPos, end);
          textPos = end;
        }
      }
      onBatch(values, rows, g.lines, r0);
    }
  }
}
