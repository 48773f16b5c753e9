import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Env } from './config/env.js';
import { AppError, ExitCode, UsageError } from './errors.js';
import { scrubSecrets } from './secrets.js';
import type { CommandContext } from './commands/context.js';
import type { ReplayCommandOptions } from './commands/replay.js';
import type { RunOptions } from './commands/run.js';

/**
 * The `anomaly` command line. Every subcommand's implementation is imported lazily in its action,
 * so `anomaly --help` loads only commander (the Sheets client and the chart renderer are heavy).
 */

export interface CliIo {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A person is at a terminal (stderr is a TTY): progress bars and warnings on stderr. */
  interactive?: boolean;
  /** Colours are allowed (a TTY, NO_COLOR unset); --no-color turns them off either way. */
  color?: boolean;
  now?: () => number;
}

/**
 * Writes to a process stream, going quiet once its reader has gone (`anomaly run | head -1`):
 * EPIPE is not an error worth a stack trace, and the command still finishes its work (state,
 * lock) and exits with its own code.
 */
const closedStreams = new WeakSet<NodeJS.WriteStream>();
function processWriter(stream: NodeJS.WriteStream): (text: string) => void {
  if (stream.listenerCount('error') === 0) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') closedStreams.add(stream);
      else throw error;
    });
  }
  return (text) => {
    if (!closedStreams.has(stream)) stream.write(text);
  };
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
export function colorAllowed(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return isTty && env.TERM !== 'dumb';
}

/** Commander's `error: unknown option …` in this CLI's one error format: `anomaly: unknown option …`. */
function commanderError(text: string): string {
  return text.replace(/^error: /, 'anomaly: ');
}

/** The package version; package.json is one level up from src/ and two from dist/src/. */
function version(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'anomaly-monitoring') return pkg.version;
    } catch {
      // not here; try the next level
    }
  }
  return '0.0.0';
}

interface GlobalOptions {
  logLevel?: string;
  verbose?: boolean;
  quiet?: boolean;
  /** false with --no-color. */
  color?: boolean;
}

/** Runs the CLI with `argv` (as process.argv: node, script, ...args) and returns the exit code. */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? processWriter(process.stdout);
  const stderr = io.stderr ?? processWriter(process.stderr);
  const interactive = io.interactive ?? Boolean(process.stderr.isTTY);
  const envForColor = io.env ?? process.env;
  const colorOut = io.color ?? colorAllowed(envForColor, Boolean(process.stdout.isTTY));
  const colorErr = io.color ?? colorAllowed(envForColor, Boolean(process.stderr.isTTY));
  const noColorFlag = argv.includes('--no-color');
  let verbose = argv.includes('--verbose');
  let secrets: string[] = [];
  let exitCode: number = ExitCode.ok;

  const program = new Command('anomaly')
    .description('Watch payment data for anomalies: load CSV exports, run SQL-backed checks, alert on Slack and Google Sheets.')
    .version(version(), '-V, --version')
    .addOption(new Option('--log-level <level>', 'log level (overrides ANOMALY_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--verbose', 'print stack traces with errors (and info log lines on a terminal)')
    .option('-q, --quiet', 'print only errors (stdout stays empty unless --json)')
    .option('--no-color', 'no colours on any stream (also: NO_COLOR=1)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: stdout,
      writeErr: stderr,
      outputError: (text, write) => write(commanderError(text)),
      getOutHasColors: () => colorOut && !noColorFlag,
      getErrHasColors: () => colorErr && !noColorFlag,
    })
    .addHelpText(
      'after',
      examples([
        ['anomaly init-db && anomaly run --dry-run', 'load the CSV exports in data/, then evaluate every check without notifying anyone'],
        ['anomaly run --quiet', 'what cron runs: silent unless something fails (see the exit codes in docs/commands.md)'],
        ['anomaly doctor', 'check the configuration, the database, Slack and Google Sheets access'],
      ]),
    );

  /** Builds the context for a command and runs it, mapping errors to exit codes. */
  const run = (fn: (ctx: CommandContext, ...args: never[]) => Promise<number | void>) =>
    async (...args: unknown[]) => {
      const globals = program.opts<GlobalOptions>();
      verbose = Boolean(globals.verbose);
      const quiet = Boolean(globals.quiet);
      const color = globals.color !== false;
      // The action's own options sit before the Command object at the end of its arguments.
      const json = Boolean((args[args.length - 2] as { json?: boolean } | undefined)?.json);
      // Configuration and logging load only when a command runs: `--help` stays fast.
      const { loadEnv } = await import('./config/env.js');
      const { createLogger, setPrettyFactory } = await import('./log.js');
      const { sizeInBytes } = await import('./log-rotation.js');
      const env: Env = loadEnv(io.env ?? process.env, io.cwd ?? process.cwd());
      secrets = [env.SLACK_ALERT_BOT_TOKEN ?? '', env.CLICKHOUSE_PASSWORD ?? ''].filter(Boolean);
      // Under --quiet the command's own `anomaly: …` lines are the errors shown; the log has the rest.
      const prettyLogs = interactive && !quiet;
      if (prettyLogs) {
        const pretty = (await import('pino-pretty')).default;
        setPrettyFactory(pretty as unknown as (o: object) => { write(s: string): unknown });
      }
      const level = globals.logLevel ?? env.ANOMALY_LOG_LEVEL;
      const log = createLogger({
        level,
        logDir: env.ANOMALY_LOG_DIR,
        pretty: prettyLogs,
        // On a terminal the command's output is the answer; log lines there are only what needs a
        // person's attention (everything is in the log file). --verbose shows the configured level.
        prettyLevel: verbose ? level : 'warn',
        color: color && colorErr,
        secrets,
        onFileError: (t) => stderr(t),
        ...(env.ANOMALY_LOG_MAX_SIZE === 'off' ? {} : { rotate: { maxBytes: sizeInBytes(env.ANOMALY_LOG_MAX_SIZE), keep: env.ANOMALY_LOG_FILES } }),
      });
      const ctx: CommandContext = {
        env,
        log,
        out: quiet && !json ? () => {} : (t) => stdout(scrubSecrets(t, secrets)),
        err: quiet ? () => {} : (t) => stderr(scrubSecrets(t, secrets)),
        error: (t) => stderr(scrubSecrets(t, secrets)),
        interactive: interactive && !quiet,
        color: color && colorOut,
        quiet,
        now: io.now ?? Date.now,
      };
      const code = await (fn as (ctx: CommandContext, ...a: unknown[]) => Promise<number | void>)(ctx, ...args);
      exitCode = code ?? ExitCode.ok;
    };

  registerCommands(program, run);
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      examples([
        ['source <(anomaly completion bash)', 'complete commands and flags in this bash session (add it to ~/.bashrc to keep it)'],
        ['anomaly completion zsh > "${fpath[1]}/_anomaly"', 'install for zsh (then restart the shell)'],
      ]),
    )
    .action(async (shell: string) => {
      const { COMPLETION_SHELLS, completionScript } = await import('./completion.js');
      if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
        throw new UsageError(`completion: unknown shell ${JSON.stringify(shell)}; use ${COMPLETION_SHELLS.join(' or ')}`);
      }
      stdout(completionScript(program, shell as 'bash' | 'zsh'));
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return ExitCode.ok;
      }
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const code = error instanceof AppError ? error.exitCode : 1;
    const message = error instanceof Error ? error.message : String(error);
    stderr(scrubSecrets(`anomaly: ${message}\n`, secrets));
    if (verbose && error instanceof Error && error.stack) stderr(scrubSecrets(error.stack + '\n', secrets));
    return code;
  }
  return exitCode;
}

/** The "Examples:" block every --help ends with. */
function examples(list: [command: string, what: string][]): string {
  return '\nExamples:\n' + list.map(([c, w]) => `  $ ${c}\n      ${w}`).join('\n');
}

type Runner = (fn: (ctx: CommandContext, ...args: never[]) => Promise<number | void>) => (...args: unknown[]) => Promise<void>;

function registerCommands(program: Command, run: Runner): void {
  program
    .command('init-db')
    .description('load the CSV exports in the data directory into a new SQLite database, swapped in atomically')
    .option('--data-dir <dir>', 'directory holding the CSV files (default: ANOMALY_DATA_DIR or data)')
    .option('--db <path>', 'database file to (re)build (default: ANOMALY_DB or data/anomaly.db)')
    .option('--date <YYYY-MM-DD>', 'the day that date-less files (checkout/, transaction_status/) cover (default: today in ANOMALY_TZ)')
    .option('--append', 'add only the files not loaded yet to the existing database (all or nothing); rows they cover are replaced')
    .addHelpText('after', examples([
      ['anomaly init-db', 'load data/*.csv into data/anomaly.db (the old database stays until the new one is complete)'],
      ['anomaly init-db --data-dir /exports/today --date 2026-11-20', 'load another folder; date-less checkout/ and transaction_status/ files cover 2026-11-20'],
      ['anomaly init-db --append', 'for cron: add the files that arrived since the last load; prints nothing when there was none'],
    ]))
    .action(run(async (ctx, opts: { dataDir?: string; db?: string; date?: string; append?: boolean }) => {
      const { initDbCommand } = await import('./commands/init-db.js');
      return initDbCommand(ctx, opts);
    }));

  program
    .command('run')
    .description('evaluate the checks, record the results, update alert state and notify Slack / Google Sheets')
    .option('--at <time>', 'evaluate as of this ISO 8601 time (no offset = ANOMALY_TZ wall clock; default: now)')
    .option('--only <checks>', 'comma-separated check names to run')
    .option('--dry-run', 'evaluate and print, notify nobody and leave alert state untouched')
    .option('--json', 'print one JSON document instead of the table')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--db <path>', 'data database (default: ANOMALY_DB or data/anomaly.db)')
    .option('--fail-on-alert', 'exit 1 when any check alerts (and nothing worse happened)')
    .addHelpText('after', examples([
      ['anomaly run --dry-run --at 2026-11-20T15:00:00Z', 'evaluate the demo moment without notifying anyone or changing alert state'],
      ["anomaly run --only transaction_status_rates --json | jq '.summary'", 'one check, machine-readable (schemaVersion, fingerprints, summary)'],
      ['anomaly run --quiet', 'for cron: prints nothing unless a check or a delivery fails; the exit code says what happened'],
    ]))
    .action(run(async (ctx, opts: RunOptions) => {
      const { runCommand } = await import('./commands/run.js');
      return runCommand(ctx, opts);
    }));

  program
    .command('checks')
    .description('list the configured checks with type, description and destinations')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--json', 'print JSON')
    .option('--db <path>', 'data database whose engine picks the SQL shown: a ClickHouse URL shows the dialect twins (default: ANOMALY_DB)')
    .addHelpText('after', examples([
      ['anomaly checks', 'every configured check with its type, severity and destinations'],
      ['anomaly checks --json --config other.yaml', 'another checks file, as JSON'],
    ]))
    .action(run(async (ctx, opts: { config?: string; json?: boolean; db?: string }) => {
      const { checksCommand } = await import('./commands/checks.js');
      return checksCommand(ctx, opts);
    }));

  program
    .command('snooze')
    .description('stop notifying a check or one alert fingerprint for a while (it keeps being evaluated)')
    .argument('<target>', 'a check name or a fingerprint such as unfinished_orders:merchant 4')
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 2h, 1d')
    .option('--config <file>', 'checks file naming the checks (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--reason <text>', 'why (shown by `anomaly snoozes`)')
    .option('--author <name>', 'who snoozed it (default: $USER; shown by `anomaly snoozes`)')
    .option('--force', 'snooze a fingerprint that has not fired yet')
    .addHelpText('after', examples([
      ["anomaly snooze unfinished_orders --for 2h --reason 'settlement batch late' --author ana", 'hold back every alert of a check for two hours'],
      ["anomaly snooze 'unfinished_orders:merchant 7' --for 1d", 'one alert only (the fingerprint `anomaly run --json` prints)'],
    ]))
    .action(run(async (ctx, target: string, opts: { for: string; reason?: string; author?: string; force?: boolean; config?: string }) => {
      const { snoozeCommand } = await import('./commands/snooze.js');
      return snoozeCommand(ctx, target, opts);
    }));

  program
    .command('snoozes')
    .description('list active snoozes')
    .option('--json', 'print JSON')
    .addHelpText('after', examples([
      ['anomaly snoozes', 'the snoozes in force: target, until, author, reason'],
      ['anomaly snoozes --json', 'the same as JSON'],
    ]))
    .action(run(async (ctx, opts: { json?: boolean }) => {
      const { snoozesCommand } = await import('./commands/snooze.js');
      return snoozesCommand(ctx, opts);
    }));

  program
    .command('unsnooze')
    .description('end a snooze now')
    .argument('<target>', 'the snoozed check name or fingerprint')
    .addHelpText('after', examples([
      ['anomaly unsnooze unfinished_orders', 'notify again from the next run'],
      ["anomaly unsnooze 'unfinished_orders:merchant 7'", 'end the snooze of one alert'],
    ]))
    .action(run(async (ctx, target: string) => {
      const { unsnoozeCommand } = await import('./commands/snooze.js');
      return unsnoozeCommand(ctx, target);
    }));

  program
    .command('outbox')
    .description('show notifications waiting to be delivered (oldest first)')
    .option('--json', 'print JSON')
    .option('--all', 'include recently sent and expired items')
    .addHelpText('after', examples([
      ['anomaly outbox', 'notifications still waiting for delivery (the next run sends them first)'],
      ['anomaly outbox --all --json', 'also those delivered in the last 7 days and those given up, as JSON'],
    ]))
    .action(run(async (ctx, opts: { json?: boolean; all?: boolean }) => {
      const { outboxCommand } = await import('./commands/outbox.js');
      return outboxCommand(ctx, opts);
    }));

  program
    .command('prune')
    .description('delete run history, delivered notifications and resolved alerts older than the retention; VACUUM if worthwhile')
    .option('--older-than <duration>', 'retention, e.g. 12h, 30d, 8w (default: defaults.retention of the checks file, else 30d)')
    .option('--dry-run', 'count what would be deleted, change nothing')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .addHelpText(
      'after',
      `
Examples:
  $ anomaly prune --dry-run              # what the configured retention would delete
  $ anomaly prune --older-than 14d       # keep two weeks of history
  $ ANOMALY_STATE_DB=/srv/state.db anomaly prune`,
    )
    .action(run(async (ctx, opts: { olderThan?: string; dryRun?: boolean; config?: string }) => {
      const { pruneCommand } = await import('./commands/prune.js');
      return pruneCommand(ctx, opts);
    }));

  program
    .command('replay')
    .description('evaluate the checks at every step of a past period (no notifications, no alert state) and list alert episodes')
    .requiredOption('--from <time>', 'start, ISO 8601')
    .requiredOption('--to <time>', 'end (inclusive), ISO 8601')
    .option('--step <duration>', 'step between evaluations: 1m, 5m, 1h', '5m')
    .option('--only <checks>', 'comma-separated check names')
    .option('--json', 'print one JSON document')
    .option('--labels <file>', 'incidents manifest (data/incidents.json format) to score the episodes against')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--db <path>', 'data database (default: ANOMALY_DB or data/anomaly.db)')
    .addHelpText('after', examples([
      ['anomaly replay --from 2026-11-14T00:00Z --to 2026-11-20T23:59Z --step 1m --labels data/incidents.json', 'backtest the demo week and score it (what `npm run evaluate` runs)'],
      ['anomaly replay --from 2026-11-20T00:00Z --to 2026-11-20T23:59Z --only transaction_status_rates --json', 'one check over one day, as JSON'],
    ]))
    .action(run(async (ctx, opts: ReplayCommandOptions) => {
      const { replayCommand } = await import('./commands/replay.js');
      return replayCommand(ctx, opts);
    }));

  program
    .command('report')
    .description('write a self-contained HTML report: latest run (or --at), a card per check with chart, anomalies and history')
    .option('--at <time>', 'evaluate the checks as of this time instead of showing the latest recorded run')
    .option('--out <file>', 'where to write the page (default: reports/report.html in the project folder)')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--db <path>', 'data database (default: ANOMALY_DB or data/anomaly.db)')
    .addHelpText('after', examples([
      ['anomaly report', 'the latest recorded run as reports/report.html'],
      ['anomaly report --at 2026-11-20T15:00:00Z --out /tmp/demo.html', 'evaluate the checks as of a moment (nothing recorded)'],
    ]))
    .action(run(async (ctx, opts: { at?: string; out?: string; config?: string; db?: string }) => {
      const { reportCommand } = await import('./commands/report.js');
      return reportCommand(ctx, opts);
    }));

  program
    .command('doctor')
    .description('check configuration, database, checks file, Slack and Google Sheets access; one line each with the fix')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--db <path>', 'data database (default: ANOMALY_DB or data/anomaly.db)')
    .option('--json', 'print one JSON document: every line with ok / warning / problem and its fix')
    .addHelpText('after', examples([
      ['anomaly doctor', 'one line per thing that must work, with the fix for each ✗'],
      ['anomaly doctor --json', 'the same as JSON (for a health check)'],
    ]))
    .action(run(async (ctx, opts: { config?: string; db?: string; json?: boolean }) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      return doctorCommand(ctx, opts);
    }));
}
