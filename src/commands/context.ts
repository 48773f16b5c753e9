import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';

/** What every command receives from the CLI: configuration, a logger and where to print. */
export interface CommandContext {
  env: Env;
  log: Logger;
  /** Human (or JSON) output; a command never writes to process.stdout directly. */
  out: (text: string) => void;
  /** One-line warnings and notices for a person (stderr). */
  err: (text: string) => void;
  /** True when stderr is a terminal: progress bars are shown only then. */
  interactive: boolean;
  /** Current time; injected so tests are deterministic. */
  now: () => number;
}
