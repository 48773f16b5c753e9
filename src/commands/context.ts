import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';

/** What every command receives from the CLI: configuration, a logger and where to print. */
export interface CommandContext {
  env: Env;
  log: Logger;
  /** Human (or JSON) output; a command never writes to process.stdout directly. */
  out: (text: string) => void;
  /** One-line warnings and notices for a person (stderr); silent under --quiet. */
  err: (text: string) => void;
  /** Errors a person must see even under --quiet (stderr). Defaults to `err` where unset. */
  error?: (text: string) => void;
  /** --quiet: `out` prints nothing (unless --json) and `err` nothing; only errors are shown. */
  quiet?: boolean;
  /** Colours allowed on stdout (a TTY, no NO_COLOR, no --no-color). */
  color?: boolean;
  /** True when stderr is a terminal: progress bars are shown only then. */
  interactive: boolean;
  /** Current time; injected so tests are deterministic. */
  now: () => number;
}
