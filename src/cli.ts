import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Env } from './config/env.js';
import { AppError, ExitCode } from './errors.js';
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
  interactive?: boolean;
  now?: () => number;
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
}

/** Runs the CLI with `argv` (as process.argv: node, script, ...args) and returns the exit code. */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((t: string) => void process.stdout.write(t));
  const stderr = io.stderr ?? ((t: string) => void process.stderr.write(t));
  const interactive = io.interactive ?? Boolean(process.stderr.isTTY);
  let verbose = argv.includes('--verbose');
  let secrets: string[] = [];
  let exitCode: number = ExitCode.ok;

  const program = new Command('anomaly')
    .description('Watch payment data for anomalies: load CSV exports, run SQL-backed checks, alert on Slack and Google Sheets.')
    .version(version(), '-V, --version')
    .addOption(new Option('--log-level <level>', 'log level (overrides ANOMALY_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: stdout, writeErr: stderr });

  /** Builds the context for a command and runs it, mapping errors to exit codes. */
  const run = (fn: (ctx: CommandContext, ...args: never[]) => Promise<number | void>) =>
    async (...args: unknown[]) => {
      const globals = program.opts<GlobalOptions>();
      verbose = Boolean(globals.verbose);
      // Configuration and logging load only when a command runs: `--help` stays fast.
      const { loadEnv } = await import('./config/env.js');
      const { createLogger, setPrettyFactory } = await import('./log.js');
      const env: Env = loadEnv(io.env ?? process.env, io.cwd ?? process.cwd());
      secrets = [env.SLACK_ALERT_BOT_TOKEN ?? ''].filter(Boolean);
      if (interactive) {
        const pretty = (await import('pino-pretty')).default;
        setPrettyFactory(pretty as unknown as (o: object) => { write(s: string): unknown });
      }
      const log = createLogger({
        level: globals.logLevel ?? env.ANOMALY_LOG_LEVEL,
        logDir: env.ANOMALY_LOG_DIR,
        pretty: interactive,
        secrets,
      });
      const ctx: CommandContext = {
        env,
        log,
        out: (t) => stdout(scrubSecrets(t, secrets)),
        err: (t) => stderr(scrubSecrets(t, secrets)),
        interactive,
        now: io.now ?? Date.now,
      };
      const code = await (fn as (ctx: CommandContext, ...a: unknown[]) => Promise<number | void>)(ctx, ...args);
      exitCode = code ?? ExitCode.ok;
    };

  registerCommands(program, run);

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

type Runner = (fn: (ctx: CommandContext, ...args: never[]) => Promise<number | void>) => (...args: unknown[]) => Promise<void>;

function registerCommands(program: Command, run: Runner): void {
  program
    .command('init-db')
    .description('load the CSV exports in the data directory into a new SQLite database, swapped in atomically')
    .option('--data-dir <dir>', 'directory holding the CSV files (default: ANOMALY_DATA_DIR or data)')
    .option('--db <path>', 'database file to (re)build (default: ANOMALY_DB or data/anomaly.db)')
    .option('--date <YYYY-MM-DD>', 'the day that date-less files (checkout/, transaction_status/) cover (default: today in ANOMALY_TZ)')
    .action(run(async (ctx, opts: { dataDir?: string; db?: string; date?: string }) => {
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
    .action(run(async (ctx, opts: RunOptions) => {
      const { runCommand } = await import('./commands/run.js');
      return runCommand(ctx, opts);
    }));

  program
    .command('checks')
    .description('list the configured checks with type, description and destinations')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--json', 'print JSON')
    .action(run(async (ctx, opts: { config?: string; json?: boolean }) => {
      const { checksCommand } = await import('./commands/checks.js');
      return checksCommand(ctx, opts);
    }));

  program
    .command('snooze')
    .description('stop notifying a check or one alert fingerprint for a while (it keeps being evaluated)')
    .argument('<target>', 'a check name or a fingerprint such as unfinished_orders:merchant 4')
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 2h, 1d')
    .option('--reason <text>', 'why (shown by `anomaly snoozes`)')
    .action(run(async (ctx, target: string, opts: { for: string; reason?: string }) => {
      const { snoozeCommand } = await import('./commands/snooze.js');
      return snoozeCommand(ctx, target, opts);
    }));

  program
    .command('snoozes')
    .description('list active snoozes')
    .option('--json', 'print JSON')
    .action(run(async (ctx, opts: { json?: boolean }) => {
      const { snoozesCommand } = await import('./commands/snooze.js');
      return snoozesCommand(ctx, opts);
    }));

  program
    .command('unsnooze')
    .description('end a snooze now')
    .argument('<target>', 'the snoozed check name or fingerprint')
    .action(run(async (ctx, target: string) => {
      const { unsnoozeCommand } = await import('./commands/snooze.js');
      return unsnoozeCommand(ctx, target);
    }));

  program
    .command('outbox')
    .description('show notifications waiting to be delivered (oldest first)')
    .option('--json', 'print JSON')
    .option('--all', 'include recently sent and expired items')
    .action(run(async (ctx, opts: { json?: boolean; all?: boolean }) => {
      const { outboxCommand } = await import('./commands/outbox.js');
      return outboxCommand(ctx, opts);
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
    .action(run(async (ctx, opts: ReplayCommandOptions) => {
      const { replayCommand } = await import('./commands/replay.js');
      return replayCommand(ctx, opts);
    }));

  program
    .command('report')
    .description('write a self-contained HTML report: latest run (or --at), a card per check with chart, anomalies and history')
    .option('--at <time>', 'evaluate the checks as of this time instead of showing the latest recorded run')
    .option('--out <file>', 'where to write the page', 'reports/report.html')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--db <path>', 'data database (default: ANOMALY_DB or data/anomaly.db)')
    .action(run(async (ctx, opts: { at?: string; out?: string; config?: string; db?: string }) => {
      const { reportCommand } = await import('./commands/report.js');
      return reportCommand(ctx, opts);
    }));

  program
    .command('doctor')
    .description('check configuration, database, checks file, Slack and Google Sheets access; one line each with the fix')
    .option('--config <file>', 'checks file (default: ANOMALY_CONFIG or anomaly.config.yaml)')
    .option('--db <path>', 'data database (default: ANOMALY_DB or data/anomaly.db)')
    .action(run(async (ctx, opts: { config?: string; db?: string }) => {
      const { doctorCommand } = await import('./commands/doctor.js');
      return doctorCommand(ctx, opts);
    }));
}
