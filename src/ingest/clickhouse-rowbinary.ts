/**
 * ClickHouse's RowBinary format, written straight from the converted values of a row (numbers,
 * `YYYY-MM-DD[ HH:MM:SS]` UTC text, strings, null) into reused byte buffers: no text formatting,
 * no escaping and no per-row objects. RowBinary is the cheapest format for the server to read
 * (fixed-width little-endian numbers, DateTime as UInt32 seconds, Date as UInt16 days, strings as
 * LEB128 length + UTF-8 bytes, Nullable as a 0/1 byte before the value).
 */

export type ColumnType = 'Int64' | 'UInt8' | 'Float64' | 'String' | 'Date' | 'DateTime';

export interface ColumnEncoding {
  type: ColumnType;
  nullable: boolean;
  /** For enumeration columns, whose values arrive as indexes (FieldKind.values): their texts. */
  values?: readonly string[];
}

/** `Nullable(Int64)`, `DateTime('UTC')`, … as written in clickhouse-schema.sql. */
export function columnEncoding(sqlType: string, values?: readonly string[]): ColumnEncoding {
  const m = /^Nullable\((.*)\)$/.exec(sqlType);
  const inner = (m ? m[1]! : sqlType).replace(/\(.*\)$/, '');
  if (!['Int64', 'UInt8', 'Float64', 'String', 'Date', 'DateTime'].includes(inner)) throw new Error(`RowBinary: unsupported column type ${sqlType}`);
  return { type: inner as ColumnType, nullable: m !== null, values };
}

/** A value RowBinary cannot hold in its column; the sink words it for the user. */
export class OutOfRange extends Error {
  constructor(
    readonly column: number,
    readonly value: string,
    readonly problem: string,
  ) {
    super(problem);
  }
}

const TWO32 = 4294967296;
/** 2106-01-01 00:00:00 UTC: the sink refuses times from here on (DateTime ends 2106-02-07 06:28:15). */
export const DATETIME_END = 4291747200;
/** Days of 2105-12-31: 18.16 stores Date as UInt16 days but its calendar ends with 2105 (later days read back wrong). */
const DATE_END = 49672;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const digits2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/** Days since the epoch of `YYYY-MM-DD…` text (the converters' own output, so well-formed). */
export function dayNumber(s: string): number {
  const y = digits2(s, 0) * 100 + digits2(s, 2);
  return daysFromCivil(y, digits2(s, 5), digits2(s, 8));
}

/** Unix seconds of `YYYY-MM-DD HH:MM:SS` UTC text. */
export function unixSeconds(s: string): number {
  return dayNumber(s) * 86400 + digits2(s, 11) * 3600 + digits2(s, 14) * 60 + digits2(s, 17);
}

/** Appends rows to a chain of byte buffers handed to `emit` as they fill. */
export class RowBinaryWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(
    private readonly emit: (chunk: Buffer) => void,
    private readonly chunkBytes = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Makes room for `n` more bytes, emitting the filled part first when needed. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  /** Hands over what is written so far (RowBinary has no framing: a chunk may end mid-row). */
  flush(): void {
    if (this.pos === 0) return;
    this.emit(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
    this.pos = 0;
  }

  /** Writes one value of a column; throws OutOfRange (before writing anything) for a value the type cannot hold. */
  value(enc: ColumnEncoding, v: unknown, column: number): void {
    if (enc.nullable) {
      this.room(1);
      if (v === null || v === undefined) {
        this.buf[this.pos++] = 1;
        return;
      }
      this.buf[this.pos++] = 0;
    }
    switch (enc.type) {
      case 'Int64':
        this.int64(v as number);
        return;
      case 'UInt8':
        this.room(1);
        this.buf[this.pos++] = v as number;
        return;
      case 'Float64':
        this.room(8);
        this.buf.writeDoubleLE(v as number, this.pos);
        this.pos += 8;
        return;
      case 'String':
        this.string(enc.values !== undefined && typeof v === 'number' ? enc.values[v]! : (v as string));
        return;
      case 'Date': {
        const days = dayNumber(v as string);
        if (days < 0 || days > DATE_END) throw new OutOfRange(column, v as string, 'date outside 1970-01-01 to 2105-12-31, the days a ClickHouse Date column holds (SQLite databases take it)');
        this.room(2);
        this.buf[this.pos++] = days & 0xff;
        this.buf[this.pos++] = days >>> 8;
        return;
      }
      case 'DateTime': {
        const t = unixSeconds(v as string);
        if (t >= DATETIME_END) throw new OutOfRange(column, v as string, 'date after 2105-12-31 23:59:59, the last time a ClickHouse DateTime column holds (SQLite databases take it)');
        if (t < 0) throw new OutOfRange(column, v as string, 'date before 1970-01-01 00:00:00 UTC, the first time a ClickHouse DateTime column holds (SQLite databases take it)');
        this.room(4);
        this.buf.writeUInt32LE(t, this.pos);
        this.pos += 4;
        return;
      }
    }
  }

  /** A safe integer as two's-complement Int64, little-endian, without BigInt. */
  private int64(v: number): void {
    this.room(8);
    const hi = Math.floor(v / TWO32);
    const lo = v - hi * TWO32;
    this.buf.writeUInt32LE(lo, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  private string(s: string): void {
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    }
    const bytes = ascii ? n : Buffer.byteLength(s, 'utf8');
    this.room(bytes + 5);
    // LEB128 length
    let len = bytes;
    while (len >= 0x80) {
      this.buf[this.pos++] = (len & 0x7f) | 0x80;
      len >>>= 7;
    }
    this.buf[this.pos++] = len;
    if (ascii) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += this.buf.write(s, this.pos, 'utf8');
    }
  }
}
