import { accessSync, constants, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputMissingError } from '../errors.js';
import { findDatedFiles } from './dated-files.js';
import type { LoadTarget } from './produce-rows.js';
import { KNOWN_FILES, KNOWN_FOLDERS } from './tables.js';

/** A file to load plus its path relative to the data directory (as recorded in `loads`). */
export interface InputFile extends LoadTarget {
  relPath: string;
  bytes: number;
  /** The day of a dated file (`transaction_status/<source>/<day>.csv`); otherwise `--date` applies. */
  day?: string;
}

/** A known table with no file in the data directory: init-db leaves it empty. */
export interface AbsentTable {
  table: string;
  /** What was looked for, relative to the data directory (`orders.csv`, `checkout/*.csv`). */
  looked: string[];
}

export interface Inputs {
  files: InputFile[];
  /** Notices for a person, e.g. a legacy file name ignored because the new one is present. */
  warnings: string[];
  absent: AbsentTable[];
}

/**
 * What sits at a known path. Only regular files (directly or through symlinks) are read, and only
 * directories are listed; anything else at a known path — a dangling symlink, a symlink loop, a
 * directory where a file belongs, a named pipe, a device, an unreadable file — is an error rather
 * than a silently empty table. Nothing here opens a file, so a FIFO cannot block.
 */
type Entry = { kind: 'absent' } | { kind: 'file'; size: number } | { kind: 'dir' } | { kind: 'bad'; problem: string };

function otherKind(st: Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function inspect(path: string): Entry {
  let link: Stats | undefined;
  try {
    link = lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    return { kind: 'bad', problem: `cannot be examined (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  if (link === undefined) return { kind: 'absent' };
  let st: Stats;
  try {
    st = link.isSymbolicLink() ? statSync(path) : link;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { kind: 'bad', problem: 'is a symbolic link loop' };
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { kind: 'bad', problem: `is a dangling symbolic link (its target ${JSON.stringify(readlinkSync(path))} does not exist)` };
    }
    return { kind: 'bad', problem: `cannot be examined (${code ?? String(error)})` };
  }
  if (st.isDirectory()) {
    try {
      accessSync(path, constants.R_OK | constants.X_OK);
    } catch {
      return { kind: 'bad', problem: 'is a folder that cannot be read (permission denied)' };
    }
    return { kind: 'dir' };
  }
  if (!st.isFile()) return { kind: 'bad', problem: `is ${otherKind(st)}, not a regular file` };
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return { kind: 'bad', problem: 'is not readable (permission denied)' };
  }
  return { kind: 'file', size: st.size };
}

function refuse(path: string, problem: string): InputMissingError {
  return new InputMissingError(`${path} ${problem}; nothing was changed (fix or remove it and run init-db again)`);
}

/** Every known file present in `dataDir`, in load order; InputMissingError when there is none. */
export function findInputs(dataDir: string): Inputs {
  const files: InputFile[] = [];
  const warnings: string[] = [];
  const absent: AbsentTable[] = [];
  const add = (relPath: string, spec: LoadTarget['spec'], source: string | null, bytes: number, day?: string) => {
    const path = join(dataDir, relPath);
    files.push({ spec, path, display: path, source, relPath, bytes, ...(day ? { day } : {}) });
  };
  /** A known file name: its size when it is a regular file, undefined when absent; throws otherwise. */
  const fileAt = (relPath: string): number | undefined => {
    const path = join(dataDir, relPath);
    const e = inspect(path);
    if (e.kind === 'absent') return undefined;
    if (e.kind === 'file') return e.size;
    throw refuse(path, e.kind === 'dir' ? 'is a folder, where a CSV file is expected' : e.problem);
  };
  for (const { spec, names } of KNOWN_FILES) {
    const present = names.map((n) => ({ name: n, size: fileAt(n) })).filter((p) => p.size !== undefined);
    if (present.length === 0) {
      absent.push({ table: spec.table, looked: [...names] });
      continue;
    }
    add(present[0]!.name, spec, null, present[0]!.size!);
    for (const ignored of present.slice(1)) {
      warnings.push(`${join(dataDir, ignored.name)} ignored: ${join(dataDir, present[0]!.name)} is loaded into ${spec.table} instead`);
    }
  }
  for (const { spec, folder } of KNOWN_FOLDERS) {
    const dir = join(dataDir, folder);
    const e = inspect(dir);
    const before = files.length;
    if (e.kind === 'bad' || e.kind === 'file') throw refuse(dir, e.kind === 'file' ? 'is a file, where a folder of <source>.csv files is expected' : e.problem);
    if (e.kind === 'dir') {
      const names = readdirSync(dir)
        .filter((n) => extname(n).toLowerCase() === '.csv')
        .sort();
      for (const n of names) {
        const size = fileAt(`${folder}/${n}`);
        if (size !== undefined) add(`${folder}/${n}`, spec, basename(n, extname(n)), size);
      }
      const dated = findDatedFiles(dataDir, folder);
      for (const f of dated.files) {
        const size = fileAt(f.relPath);
        if (size !== undefined) add(f.relPath, spec, f.source, size, f.day);
      }
      warnings.push(...dated.warnings);
    }
    if (files.length === before) absent.push({ table: spec.table, looked: [`${folder}/*.csv`] });
  }
  if (files.length === 0) {
    const looked = [...KNOWN_FILES.flatMap((f) => f.names), ...KNOWN_FOLDERS.flatMap((f) => [`${f.folder}/*.csv`, `${f.folder}/<source>/<YYYY-MM-DD>.csv`])];
    throw new InputMissingError(`no data files found in ${dataDir}; looked for ${looked.join(', ')}`);
  }
  return { files, warnings, absent };
}
