import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isValidWallClock } from '../time.js';

/**
 * The dated layout of the per-source kinds: `<folder>/<source>/<YYYY-MM-DD>.csv`, one file per source
 * and day, so a week of exports loads in one go without `--date` (the file name is the day the
 * date-less times of the file belong to). Files of a source folder that are not named after a valid
 * day are reported and left alone.
 */

export interface DatedFile {
  relPath: string;
  source: string;
  day: string;
}

const DAY_NAME = /^(\d{4})-(\d{2})-(\d{2})\.csv$/i;

/** The day a dated file name stands for (`2026-11-20.csv` → `2026-11-20`), or undefined. */
export function dayOfFileName(name: string): string | undefined {
  const m = DAY_NAME.exec(name);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return isValidWallClock({ year, month, day, hour: 0, minute: 0, second: 0 }) ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Dated files under `<dataDir>/<folder>/<source>/`, sorted by source then day; warnings for the rest. */
export function findDatedFiles(dataDir: string, folder: string): { files: DatedFile[]; warnings: string[] } {
  const files: DatedFile[] = [];
  const warnings: string[] = [];
  const base = join(dataDir, folder);
  if (!isDir(base)) return { files, warnings };
  for (const source of readdirSync(base).sort()) {
    const dir = join(base, source);
    if (!isDir(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (extname(name).toLowerCase() !== '.csv') continue;
      const day = dayOfFileName(name);
      if (day === undefined) {
        warnings.push(`${join(dir, name)} ignored: files in ${folder}/${source}/ are named after their day, YYYY-MM-DD.csv`);
        continue;
      }
      files.push({ relPath: `${folder}/${source}/${name}`, source, day });
    }
  }
  return { files, warnings };
}
