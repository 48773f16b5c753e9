import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputMissingError } from '../errors.js';
import type { LoadTarget } from './produce-rows.js';
import { KNOWN_FILES, KNOWN_FOLDERS } from './tables.js';

/** A file to load plus its path relative to the data directory (as recorded in `loads`). */
export interface InputFile extends LoadTarget {
  relPath: string;
  bytes: number;
}

export interface Inputs {
  files: InputFile[];
  /** Notices for a person, e.g. a legacy file name ignored because the new one is present. */
  warnings: string[];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Every known file present in `dataDir`, in load order; InputMissingError when there is none. */
export function findInputs(dataDir: string): Inputs {
  const files: InputFile[] = [];
  const warnings: string[] = [];
  const add = (relPath: string, spec: LoadTarget['spec'], source: string | null) => {
    const path = join(dataDir, relPath);
    files.push({ spec, path, display: path, source, relPath, bytes: statSync(path).size });
  };
  for (const { spec, names } of KNOWN_FILES) {
    const present = names.filter((n) => isFile(join(dataDir, n)));
    if (present.length === 0) continue;
    add(present[0]!, spec, null);
    for (const ignored of present.slice(1)) {
      warnings.push(`${join(dataDir, ignored)} ignored: ${join(dataDir, present[0]!)} is loaded into ${spec.table} instead`);
    }
  }
  for (const { spec, folder } of KNOWN_FOLDERS) {
    const dir = join(dataDir, folder);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    const names = readdirSync(dir)
      .filter((n) => extname(n).toLowerCase() === '.csv' && isFile(join(dir, n)))
      .sort();
    for (const n of names) add(`${folder}/${n}`, spec, basename(n, extname(n)));
  }
  if (files.length === 0) {
    const looked = [...KNOWN_FILES.flatMap((f) => f.names), ...KNOWN_FOLDERS.map((f) => `${f.folder}/*.csv`)];
    throw new InputMissingError(`no data files found in ${dataDir}; looked for ${looked.join(', ')}`);
  }
  return { files, warnings };
}
