import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { CheckDefinition, CheckType } from '../checks/check-type.js';
import { ConfigError, UsageError } from '../errors.js';
import { parseDuration, HOUR } from '../time.js';
import { SEVERITIES } from '../types.js';

/**
 * The checks file (`anomaly.config.yaml`): a list of checks, each a type, SQL and parameters.
 * Every problem is reported with the file, line, check name and key, e.g.
 * `anomaly.config.yaml:14: check "unfinished_orders": params.key: expected string`.
 */

const duration = z.string().refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 30m, 4h or 1d');
const positiveDuration = duration.refine((s) => (parseDuration(s) ?? 0) > 0, 'must be longer than 0');

/** A data table and its time column, for the stale-data check (identifiers only: they are spliced into SQL). */
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain SQL identifier (letters, digits, _)');
const sourceSchema = z.object({ table: identifier, time_column: identifier }).strict();

const slackSchema = z
  .object({
    enabled: z.boolean().default(true),
    channel: z.string().min(1).optional(),
    critical_separately: z.boolean().default(false),
  })
  .strict();

const defaultsSchema = z
  .object({
    severity: z.enum(SEVERITIES).default('warning'),
    repeat_interval: duration.default('4h'),
    resolve_after: z.number().int().min(1).default(1),
    /** A firing alert resolves only once its check has been clean for this long (0: at once). */
    keep_firing_for: duration.default('0m'),
    slack: slackSchema.default({ enabled: true, critical_separately: false }),
    /** A source whose newest row (at or before the run's time) is older than this makes its checks report `stale`. */
    max_staleness: positiveDuration.default('6h'),
    /** Run history, sent notifications and resolved alerts older than this are pruned by every run. */
    retention: positiveDuration.default('30d'),
  })
  .strict();

const checkSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower_snake_case (letters, digits, _)'),
    type: z.string(),
    description: z.string().min(1),
    sql: z.string().min(1).optional(),
    sql_file: z.string().min(1).optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    severity: z.enum(SEVERITIES).optional(),
    slack: slackSchema.partial().optional(),
    sheet: z.string().min(1).max(100).optional(),
    repeat_interval: duration.optional(),
    resolve_after: z.number().int().min(1).optional(),
    keep_firing_for: duration.optional(),
    enabled: z.boolean().default(true),
    max_staleness: positiveDuration.optional(),
    /** The table(s) the check reads and their time column; `false` turns the stale-data check off. */
    source: z.union([sourceSchema, z.array(sourceSchema).min(1), z.literal(false)]).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    version: z.literal(1).default(1),
    defaults: defaultsSchema.default({
      severity: 'warning',
      repeat_interval: '4h',
      resolve_after: 1,
      keep_firing_for: '0m',
      slack: { enabled: true, critical_separately: false },
      max_staleness: '6h',
      retention: '30d',
    }),
    checks: z.array(z.unknown()).min(1, 'lists no checks'),
  })
  .strict();

export interface ChecksFile {
  path: string;
  checks: CheckDefinition[];
  /** `defaults.retention` in milliseconds. */
  retentionMs: number;
}

type Registry = ReadonlyMap<string, CheckType<unknown>>;

/** The largest checks file (and sql_file) accepted: 1 MiB, far above any real one. */
export const MAX_CHECKS_FILE_BYTES = 1 << 20;
/** Alias expansions allowed when the YAML is converted (the yaml library's default, made explicit). */
export const MAX_ALIAS_COUNT = 100;

export function loadChecksFile(path: string, registry: Registry): ChecksFile {
  const display = displayPath(path);
  if (!existsSync(path)) {
    throw new ConfigError(`checks file ${display} not found (set --config or ANOMALY_CONFIG)`);
  }
  const st = statSync(path);
  if (!st.isFile()) throw new ConfigError(`checks file ${display} is not a regular file (set --config or ANOMALY_CONFIG)`);
  // A checks file is a few KB; a huge one (or /dev/zero behind a symlink) would take minutes and GBs.
  if (st.size > MAX_CHECKS_FILE_BYTES) {
    throw new ConfigError(
      `checks file ${display} is ${(st.size / 1048576).toFixed(1)} MiB, more than the ${MAX_CHECKS_FILE_BYTES / 1048576} MiB limit: ` +
        'put large SQL in sql_file files, or check that --config / ANOMALY_CONFIG points at the checks file',
    );
  }
  const text = readFileSync(path, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new ConfigError(`${display}:${pos.line}:${pos.col}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (path: (string | number)[]): string => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return `:${lineCounter.linePos(node.range[0]).line}`;
    }
    return '';
  };
  const fail = (path: (string | number)[], where: string, message: string): never => {
    throw new ConfigError(`${display}${lineOf(path)}: ${where}${message}`);
  };

  let plain: unknown;
  try {
    // Aliases expand when converted: a few lines of nested aliases ("billion laughs") would make
    // gigabytes. The yaml library refuses beyond maxAliasCount; say so with the file name.
    plain = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new ConfigError(`${display}: invalid YAML: ${(error as Error).message} (at most ${MAX_ALIAS_COUNT} alias expansions are allowed)`);
  }
  const top = fileSchema.safeParse(plain ?? {});
  if (!top.success) {
    const issue = top.error.issues[0]!;
    fail(issuePath(issue), '', `${keyName(issue)}: ${issueMessage(issue)}`);
  }
  const { defaults, checks: rawChecks } = top.data!;
  const baseDir = dirname(path);
  const seen = new Set<string>();
  const checks: CheckDefinition[] = [];

  rawChecks.forEach((raw, index) => {
    const name =
      raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string'
        ? (raw as { name: string }).name
        : `#${index + 1}`;
    const where = `check "${name}": `;
    const parsed = checkSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      fail(['checks', index, ...issuePath(issue)], where, `${keyName(issue)}: ${issueMessage(issue)}`);
    }
    const c = parsed.data!;
    if (seen.has(c.name)) fail(['checks', index, 'name'], where, 'name: used by another check; names must be unique');
    seen.add(c.name);
    const type = registry.get(c.type);
    if (!type) {
      fail(['checks', index, 'type'], where, `type: unknown check type "${c.type}" (known: ${[...registry.keys()].join(', ')})`);
    }
    if ((c.sql === undefined) === (c.sql_file === undefined)) {
      fail(['checks', index], where, 'give exactly one of sql or sql_file');
    }
    let sql = c.sql ?? '';
    let sqlSource = `${display} (inline sql of ${c.name})`;
    if (c.sql_file !== undefined) {
      const sqlPath = resolve(baseDir, c.sql_file);
      if (!existsSync(sqlPath)) fail(['checks', index, 'sql_file'], where, `sql_file: ${c.sql_file} not found (looked at ${sqlPath})`);
      // Only files in the checks file's folder tree (after following symlinks): a checks file must
      // not be a way to read /etc/shadow into an error message.
      const real = realpathSync(sqlPath);
      const root = realpathSync(baseDir);
      if (real !== root && !real.startsWith(root + sep)) {
        fail(['checks', index, 'sql_file'], where, `sql_file: ${c.sql_file} is outside the checks file's folder ${root}${real !== sqlPath ? ` (it leads to ${real})` : ''}: put the SQL file in that folder or below it`);
      }
      const sqlSize = statSync(real);
      if (!sqlSize.isFile() || sqlSize.size > MAX_CHECKS_FILE_BYTES) {
        fail(['checks', index, 'sql_file'], where, `sql_file: ${c.sql_file} is not a regular file of at most ${MAX_CHECKS_FILE_BYTES / 1048576} MiB`);
      }
      sql = readFileSync(real, 'utf8');
      sqlSource = displayPath(sqlPath);
    }
    const params = type!.params.safeParse(c.params);
    if (!params.success) {
      const issue = params.error.issues[0]!;
      fail(['checks', index, 'params', ...issuePath(issue)], where, `params.${keyName(issue)}: ${issueMessage(issue)}`);
    }
    checks.push({
      name: c.name,
      type: c.type,
      description: c.description,
      severity: c.severity ?? defaults.severity,
      sql,
      sqlSource,
      params: params.data,
      slack: {
        enabled: c.slack?.enabled ?? defaults.slack.enabled,
        channel: c.slack?.channel ?? defaults.slack.channel,
        criticalSeparately: c.slack?.critical_separately ?? defaults.slack.critical_separately,
      },
      sheet: c.sheet,
      repeatIntervalMs: parseDuration(c.repeat_interval ?? defaults.repeat_interval) ?? 4 * HOUR,
      resolveAfter: c.resolve_after ?? defaults.resolve_after,
      keepFiringForMs: parseDuration(c.keep_firing_for ?? defaults.keep_firing_for) ?? 0,
      enabled: c.enabled,
      maxStalenessMs: parseDuration(c.max_staleness ?? defaults.max_staleness)!,
      ...(c.source === undefined ? {} : { source: c.source === false ? false : Array.isArray(c.source) ? c.source : [c.source] }),
    });
  });
  return { path, checks, retentionMs: parseDuration(defaults.retention)! };
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The YAML path of an issue; for unknown keys, the first unknown key itself. */
function issuePath(issue: z.core.$ZodIssue): (string | number)[] {
  const path = issue.path as (string | number)[];
  return issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path;
}

function keyName(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? issue.path.join('.') + '.' : '';
    return `${prefix}${issue.keys.join(', ')}`;
  }
  return issue.path.length ? issue.path.join('.') : '(top level)';
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return 'unknown key';
  return issue.message;
}

/** Selects checks named in `--only a,b`; an unknown name is a usage error. */
export function selectChecks(checks: CheckDefinition[], only: string | undefined): CheckDefinition[] {
  if (!only) return checks.filter((c) => c.enabled);
  const wanted = only.split(',').map((s) => s.trim()).filter(Boolean);
  const known = new Set(checks.map((c) => c.name));
  const unknown = wanted.filter((w) => !known.has(w));
  if (unknown.length) {
    throw new UsageError(`--only: no check named ${unknown.map((u) => `"${u}"`).join(', ')} (configured: ${[...known].join(', ')})`);
  }
  return checks.filter((c) => wanted.includes(c.name));
}
