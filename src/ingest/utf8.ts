import { isUtf8 } from 'node:buffer';

/**
 * Streaming UTF-8 validation that can say *where* a file goes wrong. Chunks are cut at the last
 * complete character (the incomplete tail is carried into the next chunk), checked with the native
 * `isUtf8`, and only when that fails is the slow byte scan run to find the offending offset.
 */

/** Length of the incomplete multi-byte sequence at the end of `buf` (0 when it ends on a boundary). */
export function incompleteTailLength(buf: Uint8Array): number {
  const end = buf.length;
  // A sequence is at most 4 bytes, so its lead byte is within the last 3 bytes of an incomplete tail.
  for (let back = 1; back <= 3 && back <= end; back++) {
    const b = buf[end - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence, or -1 when all is valid. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + need >= n) return i; // truncated sequence
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

export function isValidUtf8(buf: Uint8Array): boolean {
  return isUtf8(buf);
}
