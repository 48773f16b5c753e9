import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadEnv } from './config/env.js';
import type { Env } from './config/env.js';
import { AppError, ExitCode } from './errors.js';
import { createLogger, scrubSecrets, setPrettyFactory } from './log.js';
import type { CommandContext } from './commands/context.js';

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

function version(): string {
  const pkgPath = fileURLToPath(new URL('../../package.json', import.meta.url));
  try {
    return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
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
}
