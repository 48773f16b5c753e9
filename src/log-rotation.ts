import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Size-based rotation of the log file, done when a command opens its log: once `anomaly.log` has
 * reached the size it becomes `anomaly.log.1` (the older ones move up one number) and a new file
 * starts; files beyond `keep` are removed. It runs at start-up because every command is a short
 * process: pino-roll, built for long-lived ones, rotates only after a write has drained or on a
 * timer and skips that while the stream closes, so under cron it never rotated (see
 * docs/operations.md). Two commands rotating at once shift the files one number further; the
 * number kept stays bounded.
 */

export interface Rotation {
  /** Bytes at which the live file is rotated. */
  maxBytes: number;
  /** Rotated files kept beside the live one. */
  keep: number;
}

/** Bytes of a size such as `500k`, `10m`, `1g` (1024-based); a plain number is MB. */
export function sizeInBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(size.trim());
  if (!m) throw new Error(`${size} is not a size such as 500k, 10m or 1g`);
  const unit = m[2]!.toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'g' ? 1024 ** 3 : unit === 'k' ? 1024 : 1024 ** 2));
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Rotates `file` when it has reached `maxBytes`; returns whether it did. */
export function rotateIfFull(file: string, { maxBytes, keep }: Rotation): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size < maxBytes) return false;
  // Numbers above `keep` (left by a larger setting or a concurrent rotation) go first.
  const name = basename(file);
  for (const other of readdirSync(dirname(file))) {
    const n = other.startsWith(name + '.') ? Number(other.slice(name.length + 1)) : NaN;
    if (Number.isInteger(n) && n >= keep) rmSync(join(dirname(file), other), { force: true });
  }
  for (let i = keep - 1; i >= 1; i--) renameIfPresent(`${file}.${i}`, `${file}.${i + 1}`);
  renameIfPresent(file, `${file}.1`);
  return true;
}
